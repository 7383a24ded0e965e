import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError, ConnectionError, EngineClient, encodeFilters, encodeFrame, parseHost, resolveHost, demuxStream } from '../../../src/client';
import { PassThrough } from 'node:stream';
import { FakeDaemon, json } from './fakedaemon';

test('host resolution: flag, then BERTH_HOST, then DOCKER_HOST, then the default socket', () => {
  assert.equal(resolveHost('tcp://a:1', { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'tcp://a:1');
  assert.equal(resolveHost(undefined, { BERTH_HOST: 'unix:///b', DOCKER_HOST: 'unix:///c' }), 'unix:///b');
  assert.equal(resolveHost(undefined, { DOCKER_HOST: 'unix:///c' }), 'unix:///c');
  assert.equal(resolveHost(undefined, {}), 'unix:///run/berth/berthd.sock');
  assert.deepEqual(parseHost('tcp://127.0.0.1:2375'), { kind: 'tcp', host: '127.0.0.1', port: 2375, tls: false, url: 'tcp://127.0.0.1:2375' });
  assert.equal(parseHost('unix:///x/y.sock').kind, 'unix');
  assert.throws(() => parseHost('npipe:////./pipe/docker_engine'), /unsupported scheme|invalid host/);
});

test('encodeFilters uses docker\'s map-of-maps JSON', () => {
  assert.equal(encodeFilters({ status: ['exited', 'created'], label: ['a=b'] }), '{"status":{"exited":true,"created":true},"label":{"a=b":true}}');
  assert.equal(encodeFilters({}), undefined);
});

test('negotiates the lower API version and prefixes every path with it', async () => {
  const d = await new FakeDaemon().start();
  d.apiVersion = '1.41';
  d.route((r, res) => { if (r.url.endsWith('/version')) json(res, 200, { Version: 'x', ApiVersion: '1.41' }); });
  try {
    const c = new EngineClient(d.host);
    assert.equal(await c.apiVersion(), '1.41');
    await c.version();
    assert.equal(d.requests[0].url, '/v1.41/version');
  } finally {
    await d.stop();
  }
});

test('a newer daemon is spoken to at our version; HEAD /_ping falls back to GET', async () => {
  const d = await new FakeDaemon().start();
  d.apiVersion = '1.51';
  d.pingGetOnly = true;
  d.route((r, res) => { if (r.url.startsWith('/v1.50/containers/json')) json(res, 200, []); });
  try {
    const c = new EngineClient(d.host);
    assert.deepEqual(await c.containerList({ all: true, filters: { name: ['x'] } }), []);
    assert.equal(d.requests[0].url, '/v1.50/containers/json?all=1&filters=%7B%22name%22%3A%7B%22x%22%3Atrue%7D%7D');
  } finally {
    await d.stop();
  }
});

test('API errors carry the status code and docker\'s message', async () => {
  const d = await new FakeDaemon().start();
  d.route((r, res) => { if (r.url.includes('/containers/nope/json')) json(res, 404, { message: 'No such container: nope' }); });
  try {
    const c = new EngineClient(d.host);
    await assert.rejects(c.containerInspect('nope'), (e: unknown) => e instanceof ApiError && e.statusCode === 404 && e.message === 'No such container: nope');
  } finally {
    await d.stop();
  }
});

test('an absent socket is a ConnectionError with docker\'s wording', async () => {
  const c = new EngineClient('unix:///nonexistent/berth.sock');
  await assert.rejects(c.ping(), (e: unknown) => e instanceof ConnectionError && /Cannot connect to the Berth daemon at unix:\/\/\/nonexistent\/berth.sock/.test((e as Error).message));
});

test('wait is sent before start and resolves with the status code', async () => {
  const d = await new FakeDaemon().start();
  let release: (() => void) | undefined;
  d.route((r, res) => {
    if (!r.url.includes('/wait?condition=next-exit')) return false;
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json');
    res.flushHeaders();
    release = () => res.end('{"StatusCode":3}\n');
  });
  d.route((r, res) => {
    if (!r.url.includes('/start')) return false;
    res.statusCode = 204;
    res.end();
    setTimeout(() => release?.(), 10);
  });
  try {
    const c = new EngineClient(d.host);
    const w = await c.containerWaitBegin('abc', 'next-exit');
    await c.containerStart('abc');
    assert.equal((await w.result).StatusCode, 3);
    assert.deepEqual(d.requests.map((r) => r.url.replace(/^\/v[\d.]+/, '')), ['/containers/abc/wait?condition=next-exit', '/containers/abc/start']);
  } finally {
    await d.stop();
  }
});

test('attach hijacks the connection; output written right after the 101 is not lost; stdin EOF is a half-close', async () => {
  const d = await new FakeDaemon().start();
  let received = '';
  d.onUpgrade((req, socket) => {
    assert.equal(req.headers.upgrade, 'tcp');
    assert.equal(req.headers.connection, 'Upgrade');
    socket.write('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
    socket.write(encodeFrame(1, 'early\n'));
    socket.on('data', (c: Buffer) => { received += c.toString(); });
    socket.on('end', () => {
      socket.write(encodeFrame(2, `got ${received}`));
      socket.end();
    });
  });
  try {
    const c = new EngineClient(d.host);
    const h = await c.containerAttach('abc', { stdin: true });
    assert.equal(h.contentType, 'application/vnd.docker.multiplexed-stream');
    const out = new PassThrough();
    const err = new PassThrough();
    const o: Buffer[] = [];
    const e: Buffer[] = [];
    out.on('data', (x) => o.push(x));
    err.on('data', (x) => e.push(x));
    const done = demuxStream(h.socket, out, err);
    h.socket.end('input');
    await done;
    assert.equal(Buffer.concat(o).toString(), 'early\n');
    assert.equal(Buffer.concat(e).toString(), 'got input');
    assert.match(d.requests[0].url, /\/containers\/abc\/attach\?stream=1&stdin=1&stdout=1&stderr=1$/);
  } finally {
    await d.stop();
  }
});

test('a refused upgrade becomes an ApiError', async () => {
  const d = await new FakeDaemon().start();
  d.onUpgrade((_req, socket) => {
    const body = '{"message":"No such container: x"}';
    socket.end(`HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  });
  try {
    const c = new EngineClient(d.host);
    await assert.rejects(c.containerAttach('x'), (e: unknown) => e instanceof ApiError && e.statusCode === 404 && e.message === 'No such container: x');
  } finally {
    await d.stop();
  }
});

test('events stream yields parsed messages with the exact timeNano', async () => {
  const d = await new FakeDaemon().start();
  d.route((r, res) => {
    if (!r.url.includes('/events')) return false;
    res.setHeader('Content-Type', 'application/json');
    res.write('{"Type":"container","Action":"start","Actor":{"ID":"a","Attributes":{}},"scope":"local","time":1,"timeNano":1795924039006982420}\n');
    res.end('{"Type":"container","Action":"die","Actor":{"ID":"a","Attributes":{"exitCode":"0"}},"scope":"local","time":2,"timeNano":2000000000}\n');
  });
  try {
    const c = new EngineClient(d.host);
    const { messages } = await c.events({ filters: { type: ['container'] } });
    const got = [];
    for await (const m of messages) got.push(m);
    assert.deepEqual(got.map((m) => m.Action), ['start', 'die']);
    assert.equal(got[0].timeNanoExact, 1795924039006982420n);
    assert.equal(JSON.stringify(got[1]).includes('raw'), false);
  } finally {
    await d.stop();
  }
});
