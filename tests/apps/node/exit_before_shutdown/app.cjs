const { NodeSDK } = require('@opentelemetry/sdk-node');
const { trace } = require('@opentelemetry/api');

const sdk = new NodeSDK();
sdk.start();
const tracer = trace.getTracer('exit-early');
for (let i = 0; i < 3; i++) {
  tracer.startActiveSpan(`job-${i}`, (span) => span.end());
}
console.log('exit-early done');
process.exit(0); // before sdk.shutdown(): the batch never leaves
