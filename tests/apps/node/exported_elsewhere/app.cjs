// The collector's address is written in the code: OTEL_EXPORTER_OTLP_ENDPOINT is never read.
const { NodeTracerProvider } = require('@opentelemetry/sdk-trace-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http');
const { trace } = require('@opentelemetry/api');

const exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${process.env.OTHER_COLLECTOR_PORT}/v1/traces` });
const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
provider.register();
trace.getTracer('elsewhere').startActiveSpan('sent-elsewhere', (span) => span.end());
provider.shutdown().then(() => console.log('elsewhere done'));
