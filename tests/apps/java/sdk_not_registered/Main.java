package sdk_not_registered;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;

/** Builds an SdkTracerProvider but never registers it: GlobalOpenTelemetry hands out no-op tracers. */
public class Main {
  public static void main(String[] args) {
    String endpoint = System.getenv().getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4317");
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .addSpanProcessor(
                BatchSpanProcessor.builder(OtlpGrpcSpanExporter.builder().setEndpoint(endpoint).build()).build())
            .build();
    Tracer tracer = GlobalOpenTelemetry.getTracer("otdiag-tests");
    for (int i = 0; i < 3; i++) {
      Span span = tracer.spanBuilder("lost-work-" + i).startSpan();
      span.end();
    }
    provider.shutdown().join(10, java.util.concurrent.TimeUnit.SECONDS);
    System.out.println("not-registered app done");
  }
}
