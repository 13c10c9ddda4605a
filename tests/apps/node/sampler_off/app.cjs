const { NodeSDK } = require('@opentelemetry/sdk-node');
const { AlwaysOffSampler } = require('@opentelemetry/sdk-trace-base');
const { trace } = require('@opentelemetry/api');

const sdk = new NodeSDK({ sampler: new AlwaysOffSampler() });
sdk.start();
trace.getTracer('sampler').startActiveSpan('dropped', (span) => span.end());
sdk.shutdown().then(() => console.log('sampler done'));
