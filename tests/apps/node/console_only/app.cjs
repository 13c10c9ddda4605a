const { NodeSDK } = require('@opentelemetry/sdk-node');
const { ConsoleSpanExporter } = require('@opentelemetry/sdk-trace-base');
const { trace } = require('@opentelemetry/api');

const sdk = new NodeSDK({ traceExporter: new ConsoleSpanExporter() });
sdk.start();
trace.getTracer('console').startActiveSpan('printed', (span) => span.end());
sdk.shutdown().then(() => console.log('console done'));
