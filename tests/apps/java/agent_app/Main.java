package agent_app;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;

/** An app written for the Java agent: it takes its tracer from GlobalOpenTelemetry, which the agent sets. */
public class Main {
  public static void main(String[] args) {
    Tracer tracer = GlobalOpenTelemetry.getTracer("otdiag-tests");
    for (int i = 0; i < 3; i++) {
      Span span = tracer.spanBuilder("agent-work-" + i).startSpan();
      span.end();
    }
    System.out.println("agent app done");
  }
}
