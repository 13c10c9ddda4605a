package sdk_partial;

import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Partial loss: 3 spans exported (forceFlush), then 4 queued and System.exit before the batch processor's next
 * export, due 1 s later: a shutdown hook that keeps the JVM up for a second would let them out.
 */
public class Main {
  public static void main(String[] args) throws Exception {
    String endpoint = System.getenv().getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", "http://localhost:4318");
    SdkTracerProvider provider =
        SdkTracerProvider.builder()
            .addSpanProcessor(
                BatchSpanProcessor.builder(OtlpHttpSpanExporter.builder().setEndpoint(endpoint + "/v1/traces").build())
                    .setScheduleDelay(Duration.ofMillis(1000))
                    .build())
            .build();
    OpenTelemetrySdk.builder().setTracerProvider(provider).buildAndRegisterGlobal();
    Tracer tracer = provider.get("otdiag-tests");
    for (int i = 0; i < 3; i++) {
      tracer.spanBuilder("early-" + i).startSpan().end();
    }
    provider.forceFlush().join(10, TimeUnit.SECONDS);
    for (int i = 0; i < 4; i++) {
      tracer.spanBuilder("late-" + i).startSpan().end();
    }
    System.out.println("leaving with 4 queued");
    System.exit(0);
  }
}
