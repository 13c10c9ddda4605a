// A server that is stopped by a signal: no SIGTERM handler, so sdk.shutdown() never runs.
require('./tracing.cjs');
const http = require('http');
const express = require('express');

const app = express();
app.get('/hello', (req, res) => res.send('hello'));
const server = app.listen(0, '127.0.0.1', () => {
  http.get(`http://127.0.0.1:${server.address().port}/hello`, (res) => {
    res.resume();
    res.on('end', () => console.log('server ready'));
  });
});
