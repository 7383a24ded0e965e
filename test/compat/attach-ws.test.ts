/**
 * `GET /containers/{id}/attach/ws`: attach over a WebSocket (RFC 6455), as web consoles do.
 * Runs against berthd, and against dockerd with TARGET=docker: logs then the live stream,
 * stdin from the client's messages, no multiplexing, binary frames from API 1.28 and text
 * frames before, and errors answered before any handshake.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { TestDaemon, importBusybox, makeCli, target } from '../integration/harness';

interface Received { text: string; binary: boolean[] }

/**
 * Opens the attach socket; resolves once `until` matches what came in, or (`until` null) when
 * the daemon closes it; rejects on an HTTP answer instead of a handshake.
 */
function attachWs(socket: string, path: string, send: string | null, until: RegExp | null): Promise<Received> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws+unix://${socket}:${path}`, { origin: 'http://localhost' });
    const got: Received = { text: '', binary: [] };
    const timer = setTimeout(() => { ws.terminate(); reject(new Error(`timed out; got ${JSON.stringify(got.text)}`)); }, 15_000);
    ws.on('message', (data, isBinary) => {
      got.text += Buffer.from(data as Buffer).toString();
      got.binary.push(isBinary);
      if (send !== null && /hello\n/.test(got.text)) { ws.send(send); send = null; }
      if (until?.test(got.text)) { clearTimeout(timer); ws.close(); resolve(got); }
    });
    ws.on('close', () => { clearTimeout(timer); if (!until) resolve(got); });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      let body = '';
      res.on('data', (c: Buffer) => { body += c; });
      res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode })));
    });
    ws.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

describe(`attach over a WebSocket (${target() === 'docker' ? 'dockerd' : 'berthd'})`, { timeout: 3 * 60_000 }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.start({ name: 'attach-ws' });
    const cli = makeCli('docker', d.socket);
    await importBusybox(cli);
    // no TTY: dockerd would multiplex this on a hijacked attach, never on a WebSocket
    const r = await cli(['run', '-d', '-i', '--name', 'wsa', '--network', 'none', 'busybox', 'sh', '-c', 'echo hello; echo oops >&2; exec cat']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => { await d?.stop(); });

  test('logs, then stdin echoed back through the live stream, raw bytes in binary frames', async () => {
    const got = await attachWs(d.socket, '/v1.41/containers/wsa/attach/ws?logs=1&stream=1&stdin=1&stdout=1&stderr=1', 'ping\n', /ping\n/);
    assert.match(got.text, /hello\n/); // stdout and stderr are two pipes: no order between them
    assert.match(got.text, /oops\n/);
    assert.ok(!got.text.includes('\u0001\u0000\u0000\u0000'), 'no stdcopy frame headers');
    assert.ok(got.binary.every(Boolean), 'binary frames');
  });

  test('before API 1.28: text frames; before 1.42 all three streams whatever the query says', async () => {
    const got = await attachWs(d.socket, '/v1.27/containers/wsa/attach/ws?logs=1&stream=0', null, null);
    assert.match(got.text, /hello\n/);
    assert.match(got.text, /oops\n/);
    assert.ok(got.binary.every((b) => !b), 'text frames');
  });

  // dockerd 20.10 stops at API 1.41: this one is berthd's alone (moby 23+ behaves so)
  test('from API 1.42 the query picks the streams', { skip: target() === 'docker' }, async () => {
    const got = await attachWs(d.socket, '/v1.47/containers/wsa/attach/ws?logs=1&stdout=1', null, null);
    assert.match(got.text, /hello\n/); // stdout and stderr are two pipes: no order between them
    assert.ok(!got.text.includes('oops'), `stdout only, stderr was not asked for: ${JSON.stringify(got.text)}`);
  });

  test('errors come back as HTTP answers before the handshake', async () => {
    await assert.rejects(attachWs(d.socket, '/v1.41/containers/no-such-ws/attach/ws?stream=1', null, /x/), (e: { status?: number }) => e.status === 404);
  });
});
