const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { trace } = require('@opentelemetry/api');

const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
// missing: trace.setGlobalTracerProvider(provider)
const tracer = trace.getTracer('not-registered');
tracer.startActiveSpan('lost', (span) => span.end());
provider.shutdown().then(() => console.log('not-registered done'));
