const sdk = require('./tracing.cjs');
const http = require('http');
const express = require('express');
const { trace } = require('@opentelemetry/api');

const app = express();
app.get('/hello', (req, res) => res.send('hello'));
const server = app.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  trace.getTracer('healthy-cjs').startActiveSpan('client-call', (span) => {
    http.get(`http://127.0.0.1:${port}/hello`, (res) => {
      res.resume();
      res.on('end', () => {
        span.end();
        server.close(() => sdk.shutdown().then(() => console.log('healthy-cjs done')));
      });
    });
  });
});
