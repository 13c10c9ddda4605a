const { NodeSDK } = require('@opentelemetry/sdk-node');
const { trace } = require('@opentelemetry/api');

const sdk = new NodeSDK();
sdk.start();
trace.getTracer('not-awaited').startActiveSpan('job', (span) => span.end());
sdk.shutdown(); // not awaited: the export is still in flight when the process exits
console.log('not-awaited done');
process.exit(0);
