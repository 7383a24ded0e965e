/**
 * Response shapes clients index into, as dockerd gives them: fields moby keeps for older API
 * versions (docker-py and compose v1 may pin one), fields that are omitempty, and daemon
 * internals that never show. Runs against berthd, and against dockerd with TARGET=docker.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestDaemon, importBusybox, makeCli, request, target } from '../integration/harness';

describe(`API response shapes (${target() === 'docker' ? 'dockerd' : 'berthd'})`, { timeout: 5 * 60_000 }, () => {
  let d: TestDaemon;
  const get = async (path: string) => {
    const r = await request(d.socket, 'GET', path);
    assert.equal(r.status, 200, `${path}: ${r.body}`);
    return JSON.parse(r.body);
  };
  before(async () => {
    d = await TestDaemon.start({ name: 'api-shapes' });
    const cli = makeCli('docker', d.socket);
    await importBusybox(cli);
    const r = await cli(['run', '-d', '--name', 'shapes', '--network', 'none', 'busybox', 'sleep', '300']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(async () => { await d?.stop(); });

  test('container State: the API fields only', async () => {
    const state = (await get('/containers/shapes/json')).State;
    assert.deepEqual(Object.keys(state).sort(),
      ['Dead', 'Error', 'ExitCode', 'FinishedAt', 'OOMKilled', 'Paused', 'Pid', 'Restarting', 'Running', 'StartedAt', 'Status']);
  });

  test('HostConfig as dockerd fills it at create from what the docker CLI sends; older API versions\' aliases', async () => {
    const cli = makeCli('docker', d.socket);
    assert.equal((await cli(['network', 'create', 'shapes-hc'])).code, 0);
    try {
      const r = await cli(['run', '-d', '--name', 'shapes-hc', '--network', 'shapes-hc', '--network-alias', 'web', '--pids-limit', '0', '-v', 'shapes-hc-vol:/data', 'busybox', 'sh', '-c', 'sleep 300']);
      assert.equal(r.code, 0, r.stderr);
      const id = r.stdout.trim();
      const hc = (await get('/containers/shapes-hc/json')).HostConfig;
      assert.deepEqual([hc.CgroupnsMode, hc.IpcMode, hc.MemorySwappiness, hc.PidsLimit], ['host', 'private', null, null]);
      const old = (await get('/v1.41/containers/shapes-hc/json')).NetworkSettings.Networks['shapes-hc'];
      assert.deepEqual([...old.Aliases].sort(), ['web', id.slice(0, 12)].sort());
      // the list's Command quotes an argument with a space; a named volume from -v has mode "z"
      const listed = (await get(`/containers/json?filters=${encodeURIComponent(JSON.stringify({ name: ['shapes-hc'] }))}`))[0];
      assert.equal(listed.Command, "sh -c 'sleep 300'");
      assert.equal(listed.Mounts.find((m: { Name?: string }) => m.Name === 'shapes-hc-vol')?.Mode, 'z');
    } finally {
      await cli(['rm', '-f', 'shapes-hc']);
      await cli(['network', 'rm', 'shapes-hc']);
      await cli(['volume', 'rm', 'shapes-hc-vol']);
    }
  });

  test('exec inspect: ProcessConfig.user only when a user was given', async () => {
    const plain = await request(d.socket, 'POST', '/containers/shapes/exec', { body: { Cmd: ['true'] } });
    const asUser = await request(d.socket, 'POST', '/containers/shapes/exec', { body: { Cmd: ['true'], User: '1000' } });
    const p1 = (await get(`/exec/${JSON.parse(plain.body).Id}/json`)).ProcessConfig;
    const p2 = (await get(`/exec/${JSON.parse(asUser.body).Id}/json`)).ProcessConfig;
    assert.equal('user' in p1, false, JSON.stringify(p1));
    assert.equal(p2.user, '1000');
  });

  test('events of containers\' lives, in dockerd\'s order: network connect and disconnect, kill on rm -f', async () => {
    const cli = makeCli('docker', d.socket);
    const must = async (args: string[]) => { const r = await cli(args); assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`); };
    await must(['network', 'create', 'shapes-net']);
    // `since` counts whole seconds: start at the next one, after everything before this test
    const since = Math.ceil(Date.now() / 1000);
    await new Promise((r) => setTimeout(r, since * 1000 - Date.now() + 20));
    await must(['run', '-d', '--name', 'ev-one', '--network', 'shapes-net', 'busybox', 'sleep', '300']);
    await must(['stop', '-t', '0', 'ev-one']);
    await must(['start', 'ev-one']);
    await must(['rm', '-f', 'ev-one']);
    await must(['run', '--rm', '--network', 'none', 'busybox', 'true']);
    await must(['run', '-d', '--name', 'ev-two', '--network', 'shapes-net', 'busybox', 'sleep', '300']);
    await must(['run', '--rm', '--network', 'container:ev-two', 'busybox', 'true']);
    await must(['rm', '-f', 'ev-two']);
    await must(['network', 'rm', 'shapes-net']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await request(d.socket, 'GET', `/events?since=${since}&until=${until}&filters=${encodeURIComponent(JSON.stringify({ type: ['container', 'network'] }))}`);
    const seen = r.body.trim().split('\n').map((l) => JSON.parse(l) as { Type: string; Action: string; Actor: { Attributes: Record<string, string> } })
      .map((e) => e.Type === 'network' ? `network:${e.Action}:${e.Actor.Attributes.name}:${e.Actor.Attributes.type}` : `${e.Action}${e.Action === 'kill' ? `:${e.Actor.Attributes.signal}` : ''}`);
    const life = (net: string, type: string) => [`network:connect:${net}:${type}`, 'start'];
    assert.deepEqual(seen, [
      'create', ...life('shapes-net', 'bridge'), 'kill:15', 'kill:9', 'die', 'network:disconnect:shapes-net:bridge', 'stop',
      ...life('shapes-net', 'bridge'), 'kill:9', 'die', 'network:disconnect:shapes-net:bridge', 'destroy',
      'create', 'attach', ...life('none', 'null'), 'die', 'network:disconnect:none:null', 'destroy',
      'create', ...life('shapes-net', 'bridge'),
      'create', 'attach', 'start', 'die', 'destroy', // a shared namespace joins no network
      'kill:9', 'die', 'network:disconnect:shapes-net:bridge', 'destroy',
      'network:destroy:shapes-net:bridge',
    ]);
  });

  test('volume and image events, in dockerd\'s order: create for an existing volume, mount after connect, unmount after die, save', async () => {
    const cli = makeCli('docker', d.socket);
    const must = async (args: string[]) => { const r = await cli(args); assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`); };
    const since = Math.ceil(Date.now() / 1000);
    await new Promise((r) => setTimeout(r, since * 1000 - Date.now() + 20));
    await must(['volume', 'create', 'shapes-vol']);
    await must(['run', '--name', 'ev-vol', '--network', 'none', '-v', 'shapes-vol:/data', 'busybox', 'true']);
    await must(['rm', 'ev-vol']);
    await must(['volume', 'rm', 'shapes-vol']);
    await must(['tag', 'busybox', 'shapes-img:1']);
    const saved = path.join(os.tmpdir(), `berth-shapes-${process.pid}.tar`);
    await must(['save', '-o', saved, 'shapes-img:1']);
    fs.rmSync(saved, { force: true });
    await must(['rmi', 'shapes-img:1']);
    const until = Math.floor(Date.now() / 1000) + 1;
    const r = await request(d.socket, 'GET', `/events?since=${since}&until=${until}`);
    const seen = r.body.trim().split('\n').map((l) => JSON.parse(l) as { Type: string; Action: string })
      .filter((e) => e.Type !== 'container' || ['start', 'die'].includes(e.Action)).map((e) => `${e.Type}:${e.Action}`);
    assert.deepEqual(seen, [
      'volume:create', 'volume:create', 'network:connect', 'volume:mount', 'container:start',
      'container:die', 'network:disconnect', 'volume:unmount', 'volume:destroy',
      'image:tag', 'image:save', 'image:untag',
    ]);
  });

  test('API 1.41: info and system df keep the fields moby sends to that version', async () => {
    const info = await get('/v1.41/info');
    assert.equal(typeof info.BridgeNfIptables, 'boolean');
    assert.equal(typeof info.BridgeNfIp6tables, 'boolean');
    for (const k of ['ContainerdCommit', 'RuncCommit', 'InitCommit']) assert.equal(typeof info[k].Expected, 'string', k);
    assert.ok('AllowNondistributableArtifactsCIDRs' in info.RegistryConfig, JSON.stringify(info.RegistryConfig));
    const df = await get('/v1.41/system/df');
    assert.ok(df.Images.length > 0);
    for (const i of df.Images) assert.equal(i.VirtualSize, i.Size);
    const now = await get('/info');
    if (target() === 'berth') assert.equal('BridgeNfIptables' in now, false, 'dropped from 1.50 on');
  });
});
