package sdk_exit;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;

/** A registered SDK whose batch is still queued when the app leaves through System.exit, before shutdown(). */
public class Main {
  public static void main(String[] args) {
    String endpoint = System.getenv().getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4317");
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .addSpanProcessor(
                BatchSpanProcessor.builder(OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).build()).build())
            .build();
    OpenTelemetrySdk.builder().setTracerProvider(provider).buildAndRegisterGlobal();
    Tracer tracer = GlobalOpenTelemetry.getTracer("otdiag-tests");
    for (int i = 0; i < 3; i++) {
      Span span = tracer.spanBuilder("queued-work-" + i).startSpan();
      span.end();
    }
    System.out.println("leaving before shutdown");
    System.exit(0);
    provider.shutdown();
  }
}
