import http from 'node:http';
import express from 'express';

const app = express();
app.get('/hello', (req, res) => res.send('hello'));
const server = app.listen(0, '127.0.0.1', () => {
  const port = server.address().port;
  http.get(`http://127.0.0.1:${port}/hello`, (res) => {
    res.resume();
    res.on('end', () => server.close(() => globalThis.otelSdk.shutdown().then(() => console.log('healthy-esm done'))));
  });
});
