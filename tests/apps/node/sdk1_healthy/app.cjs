// The 1.x API: addSpanProcessor() after the provider is built, then register().
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { trace } = require('@opentelemetry/api');

const provider = new NodeTracerProvider();
provider.addSpanProcessor(new BatchSpanProcessor(new OTLPTraceExporter()));
provider.register();
const tracer = trace.getTracer('sdk1');
for (let i = 0; i < 3; i++) tracer.startActiveSpan(`job-${i}`, (span) => span.end());
provider.shutdown().then(() => console.log('sdk1 done'));
