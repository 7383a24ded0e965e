/**
 * Networking through the Engine API (src/client and raw HTTP) and the kernel state it leaves
 * in the daemon's network namespace: API shapes and errors, kill -9 and restart with
 * published ports and DNS still answering, and a clean slate (no veth, bridge, iptables
 * rule, netns mount or listening socket of Berth's) after everything is removed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EngineClient } from '../../../src/client';
import { networkConnect, networkCreate, networkDisconnect, networkInspect, networkList, networkPrune, networkRemove } from '../../../src/client/networks';
import { Cli, TestDaemon, eventually, importBusybox, makeCli, request, target } from '../harness';
import { httpOk, inNetns } from './netns';

const SKIP = target() === 'docker' ? 'berthd only: checks BERTH-* kernel state' : false;

async function links(netns: string): Promise<string[]> {
  const r = await inNetns(netns, 'ip -o link');
  return r.out.split('\n').filter(Boolean).map((l) => l.split(':')[1].trim().replace(/@.*$/, ''));
}

describe('network API and kernel state (berthd)', { timeout: 10 * 60_000, skip: SKIP }, () => {
  let d: TestDaemon;
  let docker: Cli;
  let client: EngineClient;
  before(async () => {
    d = await TestDaemon.start({ name: 'net-api', extraArgs: ['--bridge', 'berth0'] });
    docker = makeCli('docker', d.socket);
    client = new EngineClient(d.host);
    await importBusybox(docker);
  });
  after(async () => { await d?.stop(); });

  test('predefined networks and their shapes', async () => {
    const list = await networkList(client);
    assert.deepEqual(list.map((n) => n.Name).sort(), ['bridge', 'host', 'none']);
    const bridge = await networkInspect(client, 'bridge');
    assert.equal(bridge.Driver, 'bridge');
    assert.equal(bridge.Options?.['com.docker.network.bridge.name'], 'berth0');
    assert.equal(bridge.IPAM.Config?.length, 1);
    assert.ok(await links(d.netns).then((l) => l.includes('berth0')));
    assert.equal((await networkInspect(client, 'none')).Driver, 'null');
  });

  test("errors read as dockerd's", async () => {
    let r = await request(d.socket, 'GET', '/networks/nope');
    assert.equal(r.status, 404);
    assert.equal(r.json.message, 'network nope not found');
    await networkCreate(client, { Name: 'api-a', IPAM: { Config: [{ Subnet: '10.91.0.0/24' }] } });
    r = await request(d.socket, 'POST', '/networks/create', { body: { Name: 'api-a' } });
    assert.equal(r.status, 409);
    assert.equal(r.json.message, 'network with name api-a already exists');
    r = await request(d.socket, 'POST', '/networks/create', { body: { Name: 'api-b', IPAM: { Config: [{ Subnet: '10.91.0.128/25' }] } } });
    assert.equal(r.status, 403);
    assert.match(r.json.message, /Pool overlaps with other one on this address space/);
    r = await request(d.socket, 'DELETE', '/networks/bridge');
    assert.equal(r.status, 403);
    assert.equal(r.json.message, 'bridge is a pre-defined network and cannot be removed');
    r = await request(d.socket, 'POST', '/networks/create', { body: { Name: 'api-c', Driver: 'nosuch' } });
    assert.equal(r.status, 404);
    r = await request(d.socket, 'GET', '/networks?filters=' + encodeURIComponent('{"bogus":["x"]}'));
    assert.equal(r.status, 400);
    const run = await docker(['run', '-d', '--name', 'api-c1', '--network', 'api-a', '--ip', '10.91.0.50', 'busybox', 'sleep', '300']);
    assert.equal(run.code, 0, run.stderr);
    const insp = await networkInspect(client, 'api-a');
    assert.deepEqual(Object.values(insp.Containers ?? {}).map((c) => c.IPv4Address), ['10.91.0.50/24']);
    r = await request(d.socket, 'DELETE', '/networks/api-a');
    assert.equal(r.status, 403);
    assert.match(r.json.message, /has active endpoints/);
    r = await request(d.socket, 'POST', '/networks/api-a/connect', { body: { Container: 'api-c1' } });
    assert.equal(r.status, 403);
    assert.match(r.json.message, /already exists in network api-a/);
    await networkDisconnect(client, 'api-a', 'api-c1');
    r = await request(d.socket, 'POST', '/networks/api-a/disconnect', { body: { Container: 'api-c1' } });
    assert.equal(r.status, 403);
    await networkConnect(client, 'api-a', 'api-c1', { Aliases: ['again'] });
    const c = (await client.containerInspect('api-c1')) as unknown as { NetworkSettings: { Networks: Record<string, { Aliases: string[] | null; DNSNames: string[] | null }> } };
    assert.deepEqual(c.NetworkSettings.Networks['api-a'].Aliases, ['again']);
    assert.ok(c.NetworkSettings.Networks['api-a'].DNSNames?.includes('api-c1'));
    await docker(['rm', '-f', 'api-c1']);
    const pruned = await networkPrune(client);
    assert.deepEqual(pruned.NetworksDeleted, ['api-a']);
  });

  test('kill -9 and restart: published ports and DNS still answer', async () => {
    await networkCreate(client, { Name: 'kr-net' });
    assert.equal((await docker(['run', '-d', '--name', 'kr-web', '--network', 'kr-net', '-p', '127.0.0.1:18555:80', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc'])).code, 0);
    await httpOk(d.netns, '127.0.0.1', 18555);
    await d.kill9();
    await d.restart();
    await httpOk(d.netns, '127.0.0.1', 18555, 3000);
    const r = await docker(['run', '--rm', '--network', 'kr-net', 'busybox', 'sh', '-c', `printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 3 kr-web 80`]);
    assert.match(r.stdout, /200 OK/);
    const port = await docker(['port', 'kr-web']);
    assert.equal(port.stdout.trim(), '80/tcp -> 127.0.0.1:18555');
  });

  test('removing everything leaves nothing of Berth but the default bridge', async () => {
    const ids = (await docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
    if (ids.length) await docker(['rm', '-f', ...ids]);
    for (const n of await networkList(client)) if (!['bridge', 'host', 'none'].includes(n.Name)) await networkRemove(client, n.Id);
    await eventually('veths to go', async () => {
      const l = await links(d.netns);
      return l.every((x) => x === 'lo' || x === 'berth0') ? l : undefined;
    });
    const saved = (await inNetns(d.netns, 'iptables-save')).out;
    assert.doesNotMatch(saved, /BERTH-P-|br-[0-9a-f]{12}/);
    const sockets = (await inNetns(d.netns, 'ss -Hlntu')).out.trim();
    assert.equal(sockets, '');
    const netnsMounts = (await inNetns(d.netns, `grep -c ' ${d.execRoot}/netns/' /proc/self/mountinfo || true`)).out.trim();
    assert.equal(netnsMounts, '0');
  });
});
