// express (and http) required first, the SDK started after them.
const express = require('express');
const { createServer, get } = require('http');
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http');
const { ExpressInstrumentation } = require('@opentelemetry/instrumentation-express');

const sdk = new NodeSDK({ instrumentations: [new HttpInstrumentation(), new ExpressInstrumentation()] });
sdk.start();

const app = express();
app.get('/hello', (req, res) => res.send('hello'));
const server = createServer(app).listen(0, '127.0.0.1', () => {
  get(`http://127.0.0.1:${server.address().port}/hello`, (res) => {
    res.resume();
    res.on('end', () => server.close(() => sdk.shutdown().then(() => console.log('loaded-before done'))));
  });
});
