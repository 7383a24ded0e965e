/**
 * Bad input over raw HTTP on the daemon's socket: each gets Docker's status code and a clear
 * {"message": ...} body, and nothing changes afterwards. Where dockerd 20.10 (TARGET=docker)
 * still answered 500 to bodies it could not decode, current Docker answers 400: the expected
 * status depends on the target.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { HttpResponse, TestDaemon, importBusybox, makeCli, request, target } from '../integration/harness';

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const isDocker = target() === 'docker';
/** dockerd 20.10 answers 500 to JSON it cannot decode; Docker 23+ (and berthd) answer 400. */
const BAD_JSON_STATUS = isDocker ? 500 : 400;

describe(`API bad input (${isDocker ? 'dockerd' : 'berthd'})`, () => {
  let d: TestDaemon;
  let maxApi = '';
  const req = (method: string, path: string, body?: unknown) => request(d.socket, method, path, { body });

  /** Everything a user could see change: containers (with state) and images (with tags). */
  async function snapshot(): Promise<string> {
    const cs = await req('GET', '/containers/json?all=1');
    const is = await req('GET', '/images/json');
    const c = (cs.json as any[]).map((x) => `${x.Id} ${x.Names} ${x.State}`).sort();
    const i = (is.json as any[]).map((x) => `${x.Id} ${x.RepoTags}`).sort();
    return JSON.stringify({ c, i });
  }

  function assertError(r: HttpResponse, status: number, message: string | RegExp): void {
    assert.equal(r.status, status, `status ${r.status}, body ${r.body}`);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    assert.equal(typeof r.json?.message, 'string', `body is not {"message": ...}: ${r.body}`);
    assert.ok(r.json.message.length > 0);
    if (typeof message === 'string') assert.equal(r.json.message, message);
    else assert.match(r.json.message, message);
  }

  /** Runs `fn` and checks that containers and images are exactly as before. */
  async function unchanged(fn: () => Promise<void>): Promise<void> {
    const before = await snapshot();
    await fn();
    assert.equal(await snapshot(), before, 'state changed after a refused request');
  }

  before(async () => {
    d = await TestDaemon.start({ name: 'api-errors' });
    await importBusybox(makeCli('docker', d.socket));
    maxApi = (await req('GET', '/version')).json.ApiVersion;
    // One container so that "nothing changes" has something to keep.
    const c = await req('POST', '/containers/create?name=api-keep', { Image: 'busybox', Cmd: ['true'] });
    assert.equal(c.status, 201, c.body);
  });
  after(async () => {
    await d?.stop();
  });

  test('/_ping answers OK with the negotiation headers', async () => {
    for (const method of ['GET', 'HEAD']) {
      const r = await req(method, '/_ping');
      assert.equal(r.status, 200);
      assert.equal(r.body, method === 'GET' ? 'OK' : '');
      assert.equal(r.headers['api-version'], maxApi);
      assert.equal(r.headers['ostype'], 'linux');
      assert.ok(r.headers['docker-experimental'] === 'false' || r.headers['docker-experimental'] === 'true');
      if (!isDocker) assert.ok(r.headers['builder-version'], 'Builder-Version header missing');
    }
    if (!isDocker) assert.equal(maxApi, '1.50');
  });

  test('malformed JSON body to /containers/create', () => unchanged(async () => {
    assertError(await req('POST', '/containers/create?name=api-malformed', '{"Image": "busybox", '), BAD_JSON_STATUS, /EOF|JSON|json/);
    assertError(await req('POST', '/containers/create?name=api-malformed', 'not json at all'), BAD_JSON_STATUS, /.+/);
    assertError(await req('POST', '/containers/create?name=api-malformed', ''), BAD_JSON_STATUS, /.+/);
  }));

  test('fields of the wrong type', () => unchanged(async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ Image: 'busybox', Cmd: 5 }, /Cmd/],
      [{ Image: 5 }, /Image/],
      [{ Image: 'busybox', Env: 'notalist' }, /Env/],
      [{ Image: 'busybox', HostConfig: { Memory: 'lots' } }, /Memory/],
    ];
    for (const [body, field] of cases) {
      assertError(await req('POST', '/containers/create?name=api-types', body), BAD_JSON_STATUS, field);
    }
  }));

  test('invalid names', () => unchanged(async () => {
    for (const bad of ['bad/name', '-bad', 'a b', '.dot']) {
      const r = await req('POST', `/containers/create?name=${encodeURIComponent(bad)}`, { Image: 'busybox' });
      assertError(r, 400, `Invalid container name (${bad}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    }
    assertError(await req('POST', '/containers/api-keep/rename?name=bad%2Fx'), 400, /Invalid container name \(\/?bad\/x\)/);
    assertError(await req('POST', '/containers/create', {}), 400, /Config cannot be empty in order to create a container|No command specified/);
  }));

  test('unknown images', () => unchanged(async () => {
    assertError(await req('POST', '/containers/create?name=api-noimg', { Image: 'nosuch-img' }), 404, 'No such image: nosuch-img:latest');
    assertError(await req('POST', '/containers/create', { Image: 'nosuch-img:v2' }), 404, 'No such image: nosuch-img:v2');
    assertError(await req('GET', '/images/nosuch-img/json'), 404, /No such image: nosuch-img(:latest)?$/);
    assertError(await req('DELETE', '/images/nosuch-img'), 404, 'No such image: nosuch-img:latest');
    assertError(await req('POST', '/images/nosuch-img/tag?repo=foo&tag=bar'), 404, 'No such image: nosuch-img:latest');
    assertError(await req('GET', '/images/nosuch-img/history'), 404, /No such image: nosuch-img(:latest)?$/);
  }));

  test('logs: a tail that is not a count means all, as dockerd reads it (testcontainers sends tail=-1)', async () => {
    const c = await req('POST', '/containers/create?name=api-logs', { Image: 'busybox', Cmd: ['sh', '-c', 'echo a; echo b; echo c'], HostConfig: { NetworkMode: 'none' } });
    assert.equal(c.status, 201, c.body);
    try {
      assert.equal((await req('POST', '/containers/api-logs/start')).status, 204);
      assert.equal((await req('POST', '/containers/api-logs/wait')).status, 200);
      // frames: 8-byte header, then the line
      const text = (r: HttpResponse) => r.body.replace(/[\x00-\x08]/g, '');
      for (const tail of ['-1', 'abc', '-5', '', 'all']) {
        const r = await req('GET', `/containers/api-logs/logs?stdout=1&tail=${tail}`);
        assert.equal(r.status, 200, `tail=${tail}: ${r.body}`);
        assert.equal(text(r), 'a\nb\nc\n', `tail=${tail}`);
      }
      assert.equal(text(await req('GET', '/containers/api-logs/logs?stdout=1&tail=1')), 'c\n');
      assert.equal(text(await req('GET', '/containers/api-logs/logs?stdout=1&tail=0')), '');
    } finally {
      await req('DELETE', '/containers/api-logs?force=1');
    }
  });

  test('unknown containers', () => unchanged(async () => {
    for (const [method, path] of [['GET', '/containers/nosuch-ctr/json'], ['POST', '/containers/nosuch-ctr/start'],
      ['POST', '/containers/nosuch-ctr/stop'], ['POST', '/containers/nosuch-ctr/kill'], ['POST', '/containers/nosuch-ctr/wait'],
      ['DELETE', '/containers/nosuch-ctr'], ['GET', '/containers/nosuch-ctr/logs?stdout=1'],
      ['POST', '/containers/nosuch-ctr/rename?name=other'], ['POST', '/containers/nosuch-ctr/restart']] as const) {
      // Some handlers prefix the cause, as Docker's do ("Cannot kill container: x: No such container: x").
      assertError(await req(method, path), 404, /^(.*: )?No such container: nosuch-ctr$/);
    }
    assertError(await req('GET', '/containers/nosuch-ctr/json'), 404, 'No such container: nosuch-ctr');
    assertError(await req('POST', '/containers/nosuch-ctr/exec', { Cmd: ['true'] }), 404, 'No such container: nosuch-ctr');
  }));

  test('conflicting names', async () => {
    const keep = await req('GET', '/containers/api-keep/json');
    await unchanged(async () => {
      const r = await req('POST', '/containers/create?name=api-keep', { Image: 'busybox', Cmd: ['true'] });
      assertError(r, 409, `Conflict. The container name "/api-keep" is already in use by container "${keep.json.Id}". You have to remove (or rename) that container to be able to reuse that name.`);
      const other = await req('POST', '/containers/create?name=api-other', { Image: 'busybox', Cmd: ['true'] });
      assert.equal(other.status, 201);
      const ren = await req('POST', `/containers/${other.json.Id}/rename?name=api-keep`);
      assertError(ren, 409, new RegExp(`^(Error when allocating new name: )?` + escape(`Conflict. The container name "/api-keep" is already in use by container "${keep.json.Id}". You have to remove (or rename) that container to be able to reuse that name.`) + '$'));
      assert.equal((await req('DELETE', `/containers/${other.json.Id}`)).status, 204);
    });
  });

  test('API versions: too new refused, prefixes honoured', () => unchanged(async () => {
    assertError(await req('GET', '/v1.99/version'), 400, `client version 1.99 is too new. Maximum supported API version is ${maxApi}`);
    assertError(await req('GET', '/v1.99/containers/json'), 400, /too new/);
    const ok = await req('GET', `/v${maxApi}/version`);
    assert.equal(ok.status, 200);
    assert.equal(ok.json.ApiVersion, maxApi);
    assert.equal((await req('GET', '/v1.24/containers/json')).status, 200);
    assertError(await req('GET', '/no/such/endpoint'), 404, 'page not found');
  }));

  test('bad parameters on existing objects', () => unchanged(async () => {
    assertError(await req('POST', '/containers/api-keep/kill?signal=NOPE'), 400, /Invalid signal: NOPE/);
    const filters = encodeURIComponent(JSON.stringify({ nosuch: ['x'] }));
    // "Invalid filter" in dockerd 20.10, "invalid filter" in current Docker.
    assertError(await req('GET', `/containers/json?filters=${filters}`), 400, /^[Ii]nvalid filter 'nosuch'$/);
  }));
});
