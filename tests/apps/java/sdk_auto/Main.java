package sdk_auto;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;

/** The SDK set up by autoconfigure (OTEL_* variables and -Dotel.* properties), registered globally. */
public class Main {
  public static void main(String[] args) {
    int spans = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    OpenTelemetry otel = AutoConfiguredOpenTelemetrySdk.initialize().getOpenTelemetrySdk();
    Tracer tracer = otel.getTracer("otdiag-tests");
    long started = System.nanoTime();
    for (int i = 0; i < spans; i++) {
      Span span = tracer.spanBuilder("sdk-work").startSpan();
      span.end();
    }
    long took = System.nanoTime() - started;
    if (args.length > 0) {
      System.err.println("spans-ns " + took);
    }
    System.out.println("sdk app done");
  }
}
