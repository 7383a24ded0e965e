/**
 * The floor under issue 9's `docker ps` figure (bench/remote.ts runs it): a bare Node HTTP
 * server that answers `docker ps` at once ([] for the list), on a unix socket and on TCP
 * with mutual TLS, set up exactly as berthd's listener is (serverTlsOptions, the same
 * tls.createServer flags, the connection handed to the HTTP server once authenticated).
 * What TLS adds here is what Node 20's TLS costs, with no engine behind it.
 *   node dist/bench/tls-floor-server.js SOCKET PORT CA CERT KEY    (prints "ready" once listening)
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as tls from 'node:tls';
import { serverTlsOptions } from '../src/server/listeners';

const [sock, port, ca, cert, key] = process.argv.slice(2);

const api = http.createServer({ keepAlive: true, requestTimeout: 0 }, (req, res) => {
  req.resume();
  if (req.url?.endsWith('/_ping')) {
    res.writeHead(200, { 'Api-Version': '1.47', 'Content-Type': 'text/plain; charset=utf-8', 'Docker-Experimental': 'false', Ostype: 'linux', 'Content-Length': 2 });
    res.end(req.method === 'HEAD' ? undefined : 'OK');
    return;
  }
  res.writeHead(200, { 'Api-Version': '1.47', 'Content-Type': 'application/json' });
  res.end('[]\n');
});

const server = tls.createServer(
  { ...serverTlsOptions({ tlsVerify: true, tlsCaCert: ca, tlsCert: cert, tlsKey: key }), allowHalfOpen: true, noDelay: true },
  (socket) => api.emit('connection', socket),
);
server.on('tlsClientError', (_e, socket) => socket.destroy());

fs.rmSync(sock, { force: true });
api.listen(sock, () => server.listen(Number(port), '127.0.0.1', () => process.stdout.write('ready\n')));
