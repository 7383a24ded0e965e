/**
 * docker-compose (v1, Debian's `docker-compose`, docker-py underneath: a real client that is
 * not the docker CLI) against one berthd with its default bridge. One project: a service with
 * a named volume, a published port, an environment and a healthcheck; a second service that
 * reaches the first by its service name on the project's network; then exec, logs, ps, top,
 * scale, restart, and `down -v`, which must leave no container, network or volume behind.
 * All traffic stays inside the test's network namespace; the image is the local busybox
 * (compose pulls only a missing image, so nothing goes to a registry).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type CliResult, TestDaemon, eventually, importBusybox, makeCli, runArgv, target } from '../integration/harness';
import { httpOk } from '../integration/network/netns';
import { lines, ok } from './lib/suite';

const COMPOSE = '/usr/bin/docker-compose';
const SKIP = !fs.existsSync(COMPOSE) ? 'docker-compose is not installed (scripts/setup.sh installs it)'
  : target() === 'docker' ? 'dockerd in the harness runs with --iptables=false and no bridge' : false;
const PORT = 18181;

const COMPOSE_FILE = `version: "3.8"
services:
  web:
    image: busybox
    command: ["sh", "-c", "echo web up; while true; do printf 'HTTP/1.0 200 OK\\\\r\\\\n\\\\r\\\\nhello from web\\\\n' | nc -l -p 8080; done"]
    ports:
      - "127.0.0.1:${PORT}:8080"
    volumes:
      - data:/data
    environment:
      - FOO=bar
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
  client:
    image: busybox
    command: ["sh", "-c", "until nc web 8080 </dev/null; do sleep 0.2; done; sleep 3600"]
    depends_on:
      - web
volumes:
  data:
`;

describe('docker-compose (v1) against berthd', { skip: SKIP, timeout: 10 * 60_000 }, () => {
  let d: TestDaemon;
  let dir: string;
  let compose: (args: string[]) => Promise<CliResult>;
  const docker = () => makeCli('docker', d.socket);

  before(async () => {
    d = await TestDaemon.start({ name: 'compat-compose', extraArgs: ['--bridge', 'berth0'] });
    await importBusybox(makeCli('docker', d.socket));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-compose-'));
    fs.writeFileSync(path.join(dir, 'docker-compose.yml'), COMPOSE_FILE);
    fs.mkdirSync(path.join(dir, 'config'));
    const env = { ...process.env, DOCKER_HOST: `unix://${d.socket}`, DOCKER_CONFIG: path.join(dir, 'config'), COMPOSE_PROJECT_NAME: 'ct' };
    compose = (args) => runArgv([COMPOSE, '--no-ansi', '-f', path.join(dir, 'docker-compose.yml'), ...args], env, { timeoutMs: 120_000 });
  });
  after(async () => {
    if (compose) await compose(['down', '-v', '-t', '1']).catch(() => undefined);
    await d?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('up -d: volume, network, both services; the client reaches web by its service name', async () => {
    const up = ok(await compose(['up', '-d']), 'up -d');
    assert.match(up.stderr, /Creating volume "ct_data" with default driver/);
    assert.match(up.stderr, /Creating network "ct_default" with the default driver/);
    const names = lines(ok(await docker()(['ps', '--format', '{{.Names}}'])).stdout).sort();
    assert.deepEqual(names, ['ct_client_1', 'ct_web_1']);
    const logs = await eventually('the client got the answer', async () => {
      const r = await compose(['logs', 'client']);
      return /hello from web/.test(r.stdout) ? r.stdout : undefined;
    }, 30_000);
    assert.match(logs, /client_1 +\| hello from web/);
    assert.match(ok(await compose(['logs', 'web'])).stdout, /web_1 +\| web up/);
  });

  test('ps shows the health, and the published port answers on the daemon\'s loopback', async () => {
    await eventually('web healthy', async () => {
      const r = await compose(['ps']);
      return /ct_web_1 .*Up \(healthy\)/.test(r.stdout) ? r.stdout : undefined;
    }, 30_000);
    assert.match(ok(await compose(['ps'])).stdout, new RegExp(`127\\.0\\.0\\.1:${PORT}->8080/tcp`));
    assert.match(await httpOk(d.netns, '127.0.0.1', PORT), /hello from web/);
  });

  test('exec -T runs in the service with its environment and volume; top lists the process', async () => {
    const r = ok(await compose(['exec', '-T', 'web', 'sh', '-c', 'echo $FOO; touch /data/kept; ls /data']), 'exec');
    assert.equal(r.stdout, 'bar\nkept\n');
    const code = await compose(['exec', '-T', 'web', 'sh', '-c', 'exit 3']);
    assert.equal(code.code, 3);
    assert.match(ok(await compose(['top', 'client'])).stdout, /sleep 3600/);
  });

  test('scale, restart and stop keep the volume\'s data', async () => {
    ok(await compose(['up', '-d', '--scale', 'client=2']), 'scale');
    const clients = lines(ok(await docker()(['ps', '--filter', 'label=com.docker.compose.service=client', '--format', '{{.Names}}'])).stdout).sort();
    assert.deepEqual(clients, ['ct_client_1', 'ct_client_2']);
    ok(await compose(['restart', '-t', '1', 'web']), 'restart');
    assert.equal(ok(await compose(['exec', '-T', 'web', 'ls', '/data'])).stdout, 'kept\n');
    ok(await compose(['stop', '-t', '1']), 'stop');
    const states = lines(ok(await docker()(['ps', '-a', '--format', '{{.Names}} {{.State}}'])).stdout).sort();
    assert.deepEqual(states, ['ct_client_1 exited', 'ct_client_2 exited', 'ct_web_1 exited']);
  });

  test('down -v removes the containers, the network and the volume', async () => {
    const down = ok(await compose(['down', '-v', '-t', '1']), 'down -v');
    assert.match(down.stderr, /Removing network ct_default/);
    assert.match(down.stderr, /Removing volume ct_data/);
    assert.deepEqual(lines(ok(await docker()(['ps', '-aq'])).stdout), []);
    assert.deepEqual(lines(ok(await docker()(['volume', 'ls', '-q'])).stdout), []);
    const nets = lines(ok(await docker()(['network', 'ls', '--format', '{{.Name}}'])).stdout).sort();
    assert.deepEqual(nets, ['bridge', 'host', 'none']);
  });
});
