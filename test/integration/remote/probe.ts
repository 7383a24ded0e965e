/**
 * `node probe.js plain|tls PORT '{"ca":..,"cert":..,"key":..}'` < request
 * Connects to 127.0.0.1:PORT (in the clear, or with TLS and the given PEM files), writes the
 * request from stdin and prints {"response": first bytes back, "error": what failed} as JSON.
 * Run inside a daemon's netns by fixtures.probe().
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';

const [mode, portText, pemJson] = process.argv.slice(2);
const port = Number(portText);
const pem = JSON.parse(pemJson || '{}') as { ca?: string; cert?: string; key?: string };
const request = fs.readFileSync(0);

let response = '';
let error = '';
let printed = false;
const print = () => {
  if (printed) return;
  printed = true;
  process.stdout.write(JSON.stringify({ response, error }));
  process.exit(0);
};
setTimeout(() => { error ||= 'timeout'; print(); }, 8000).unref();

const socket: net.Socket = mode === 'tls'
  ? tls.connect({
    host: '127.0.0.1', port, rejectUnauthorized: true,
    ca: pem.ca ? fs.readFileSync(pem.ca) : undefined,
    cert: pem.cert ? fs.readFileSync(pem.cert) : undefined,
    key: pem.key ? fs.readFileSync(pem.key) : undefined,
  }, () => socket.write(request))
  : net.connect({ host: '127.0.0.1', port }, () => socket.write(request));
socket.on('data', (c: Buffer) => { response += c.toString('latin1'); });
socket.on('error', (e) => { error = e.message; });
socket.on('close', print);
