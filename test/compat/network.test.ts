/**
 * Networking through the real docker CLI and through berth, against one berthd with its
 * default bridge: user-defined networks with DNS (names, aliases, short ids), isolation
 * between networks, none / container: modes, published ports answering on the daemon's
 * loopback, `port`, port conflicts, live connect / disconnect, network inspect.
 * All traffic stays inside the test's network namespace.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cli, CliKind, TestDaemon, eventually, importBusybox, makeCli, target } from '../integration/harness';
import { lines, ok } from './lib/suite';
import { httpOk } from '../integration/network/netns';

const DOCKER_ONLY = target() === 'docker' ? 'dockerd in the harness runs with --iptables=false and no bridge' : false;

describe('networking (docker CLI and berth)', { timeout: 15 * 60_000 }, () => {
  let d: TestDaemon;
  before(async () => {
    d = await TestDaemon.start({ name: 'compat-network', extraArgs: target() === 'berth' ? ['--bridge', 'berth0'] : [] });
    await importBusybox(makeCli('docker', d.socket));
  });
  after(async () => { await d?.stop(); });

  for (const kind of ['docker', 'berth'] as CliKind[]) {
    describe(kind, () => {
      let cli: Cli;
      const p = kind === 'docker' ? 'nd' : 'nb';
      const port = kind === 'docker' ? 18080 : 19080;
      before(() => { cli = makeCli(kind, d.socket); });
      after(async () => {
        const ids = lines((await cli(['ps', '-aq', '--filter', `name=${p}-`])).stdout);
        if (ids.length) await cli(['rm', '-f', ...ids]);
        for (const n of [`${p}-net1`, `${p}-net2`]) await cli(['network', 'rm', n]);
      });

      test('user network: names, aliases and short ids resolve; httpd answers by name', { skip: DOCKER_ONLY }, async () => {
        ok(await cli(['network', 'create', `${p}-net1`]), 'network create');
        ok(await cli(['network', 'create', '--subnet', kind === 'docker' ? '10.77.0.0/24' : '10.78.0.0/24', `${p}-net2`]), 'network create --subnet');
        const web = ok(await cli(['run', '-d', '--name', `${p}-web`, '--network', `${p}-net1`, '--network-alias', `${p}-www`, 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc'])).stdout.trim();
        const r = ok(await cli(['run', '--rm', '--network', `${p}-net1`, 'busybox', 'sh', '-c',
          `ping -c1 -W2 ${p}-web && ping -c1 -W2 ${p}-www && ping -c1 -W2 ${web.slice(0, 12)} && printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 3 ${p}-web 80`]), 'client on net1');
        assert.match(r.stdout, /HTTP\/1\.[01] 200/);
        assert.match(r.stdout, new RegExp(web.slice(0, 12)));
      });

      test('containers on different networks can neither resolve nor reach each other', { skip: DOCKER_ONLY }, async () => {
        const ip = ok(await cli(['inspect', '-f', `{{(index .NetworkSettings.Networks "${p}-net1").IPAddress}}`, `${p}-web`])).stdout.trim();
        assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
        const r = await cli(['run', '--rm', '--network', `${p}-net2`, 'busybox', 'sh', '-c',
          `ping -c1 -W1 ${p}-web; echo name=$?; ping -c1 -W1 ${ip}; echo ip=$?`]);
        assert.match(r.stdout, /name=1/);
        assert.match(r.stdout, /ip=1/);
      });

      test('connect and disconnect change reachability live; network inspect shows the containers', { skip: DOCKER_ONLY }, async () => {
        ok(await cli(['network', 'connect', '--alias', `${p}-web2`, `${p}-net2`, `${p}-web`]), 'connect');
        const insp = JSON.parse(ok(await cli(['network', 'inspect', `${p}-net2`])).stdout)[0];
        const names = Object.values(insp.Containers as Record<string, { Name: string; IPv4Address: string }>).map((c) => c.Name);
        assert.deepEqual(names, [`${p}-web`]);
        let r = ok(await cli(['run', '--rm', '--network', `${p}-net2`, 'busybox', 'sh', '-c', `ping -c1 -W2 ${p}-web && ping -c1 -W2 ${p}-web2`]), 'after connect');
        assert.match(r.stdout, /1 packets received/);
        ok(await cli(['network', 'disconnect', `${p}-net2`, `${p}-web`]), 'disconnect');
        r = await cli(['run', '--rm', '--network', `${p}-net2`, 'busybox', 'sh', '-c', `ping -c1 -W1 ${p}-web; echo rc=$?`]);
        assert.match(r.stdout, /rc=1/);
        const after = JSON.parse(ok(await cli(['network', 'inspect', `${p}-net2`])).stdout)[0];
        assert.deepEqual(after.Containers, {});
      });

      test('a created --rm container starts with the networks and limits given after its create', { skip: DOCKER_ONLY }, async () => {
        const name = `${p}-early`;
        ok(await cli(['create', '--rm', '--name', name, '--network', `${p}-net1`, 'busybox', 'sh', '-c',
          'ip -o -4 addr | grep -c " eth"; cat /sys/fs/cgroup/memory/memory.limit_in_bytes']), 'create');
        ok(await cli(['network', 'connect', `${p}-net2`, name]), 'connect');
        ok(await cli(['update', '--memory', '64m', '--memory-swap', '128m', name]), 'update');
        const r = ok(await cli(['start', '-a', name]), 'start -a');
        assert.deepEqual(lines(r.stdout), ['2', '67108864']);
        await eventually('removal', async () => ok(await cli(['ps', '-aq', '--filter', `name=${name}`])).stdout === '');
      });

      test('--network none has only lo; container: shares the namespace', async () => {
        const r = ok(await cli(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']));
        assert.deepEqual(lines(r.stdout).map((l) => l.split(':')[1].trim()), ['lo']);
        if (DOCKER_ONLY) return;
        const ip = ok(await cli(['inspect', '-f', `{{(index .NetworkSettings.Networks "${p}-net1").IPAddress}}`, `${p}-web`])).stdout.trim();
        const s = ok(await cli(['run', '--rm', '--network', `container:${p}-web`, 'busybox', 'ip', '-o', '-4', 'addr']));
        assert.match(s.stdout, new RegExp(`inet ${ip.replace(/\./g, '\\.')}/`));
      });

      test('-p 127.0.0.1:PORT:80 answers from the host; port lists it; a second bind conflicts', { skip: DOCKER_ONLY }, async () => {
        ok(await cli(['run', '-d', '--name', `${p}-pub`, '-p', `127.0.0.1:${port}:80`, '-p', '80', 'busybox', 'httpd', '-f', '-p', '80', '-h', '/etc']));
        await httpOk(d.netns, '127.0.0.1', port);
        const pl = lines(ok(await cli(['port', `${p}-pub`])).stdout);
        assert.equal(pl.length, 2);
        assert.ok(pl.includes(`80/tcp -> 127.0.0.1:${port}`), pl.join('\n'));
        const eph = /^80\/tcp -> 0\.0\.0\.0:(\d+)$/.exec(pl.find((l) => l.includes('0.0.0.0')) ?? '');
        assert.ok(eph, pl.join('\n'));
        await httpOk(d.netns, '127.0.0.1', Number(eph[1]));
        assert.deepEqual(lines(ok(await cli(['port', `${p}-pub`, '80/tcp'])).stdout).sort(), [`0.0.0.0:${eph[1]}`, `127.0.0.1:${port}`].sort());
        const clash = await cli(['run', '-d', '--name', `${p}-clash`, '-p', `127.0.0.1:${port}:80`, 'busybox', 'true']);
        assert.equal(clash.code, 125);
        assert.match(clash.stderr, /port is already allocated/);
        const ps = ok(await cli(['ps', '--filter', `name=${p}-pub`, '--format', '{{.Ports}}'])).stdout;
        assert.match(ps, new RegExp(`127\\.0\\.0\\.1:${port}->80/tcp`));
      });

      test('enable_icc=false, --mac-address, --ip, -P with EXPOSE, udp', { skip: DOCKER_ONLY }, async () => {
        const net = `${p}-noicc`;
        ok(await cli(['network', 'create', '--subnet', kind === 'docker' ? '10.79.0.0/24' : '10.80.0.0/24', '-o', 'com.docker.network.bridge.enable_icc=false', net]));
        try {
          const ip = kind === 'docker' ? '10.79.0.77' : '10.80.0.77';
          ok(await cli(['run', '-d', '--name', `${p}-i1`, '--network', net, '--ip', ip, '--mac-address', '02:11:22:33:44:55', 'busybox', 'sleep', '300']));
          const fmt = `{{(index .NetworkSettings.Networks "${net}").IPAddress}} {{(index .NetworkSettings.Networks "${net}").MacAddress}}`;
          assert.equal(ok(await cli(['inspect', '-f', fmt, `${p}-i1`])).stdout.trim(), `${ip} 02:11:22:33:44:55`);
          const r = await cli(['run', '--rm', '--network', net, 'busybox', 'sh', '-c', `ping -c1 -W1 ${p}-i1 >/dev/null 2>&1; echo icc=$?`]);
          assert.match(r.stdout, /icc=1/);
          ok(await cli(['run', '-d', '--name', `${p}-u1`, '-P', '--expose', '7000', '-p', `${port + 1}:53/udp`, 'busybox', 'sleep', '300']));
          const pl = lines(ok(await cli(['port', `${p}-u1`])).stdout);
          assert.equal(pl.length, 2, pl.join('\n'));
          assert.ok(pl.includes(`53/udp -> 0.0.0.0:${port + 1}`), pl.join('\n'));
          assert.match(pl.find((l) => l.startsWith('7000/tcp')) ?? '', /^7000\/tcp -> 0\.0\.0\.0:\d+$/);
        } finally {
          await cli(['rm', '-f', `${p}-i1`, `${p}-u1`]);
          await cli(['network', 'rm', net]);
        }
      });

      test('default bridge: an address from the bridge subnet, no name resolution', { skip: DOCKER_ONLY }, async () => {
        ok(await cli(['run', '-d', '--name', `${p}-b1`, 'busybox', 'sleep', '300']));
        const ip = ok(await cli(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', `${p}-b1`])).stdout.trim();
        assert.match(ip, /^\d+\.\d+\.\d+\.\d+$/);
        const r = await cli(['run', '--rm', 'busybox', 'sh', '-c', `ping -c1 -W2 ${ip} >/dev/null; echo ip=$?; ping -c1 -W1 ${p}-b1 >/dev/null 2>&1; echo name=$?`]);
        assert.match(r.stdout, /ip=0/);
        assert.match(r.stdout, /name=1/);
      });
    });
  }
});
