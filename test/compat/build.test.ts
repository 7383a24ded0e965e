/**
 * Dockerfiles under test/fixtures/build/<name>/ built with the real `docker build` (classic
 * builder, DOCKER_BUILDKIT=0) against berthd or, with TARGET=docker, dockerd. Each image's
 * config and files must match expected.json, which was recorded from dockerd 20.10
 * (`TARGET=docker BUILD_GOLDEN=1 node --test dist/test/compat/build.test.js` rewrites it).
 * build.json may give buildArgs, labels, target, file (-f) and after (a fixture to build first).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Cli, REPO_ROOT, TestDaemon, importBusybox, makeCli, target } from '../integration/harness';
import { configOf, diffFiles, filesOf } from './build/image-snapshot';
import { registerBuildBehaviour } from './build/behaviour';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'build');
const GOLDEN = process.env.BUILD_GOLDEN === '1' && target() === 'docker';

interface FixtureOpts { buildArgs?: string[]; labels?: string[]; target?: string; file?: string; after?: string }

function fixtures(): { name: string; opts: FixtureOpts }[] {
  const all = fs.readdirSync(FIXTURES).filter((n) => fs.existsSync(path.join(FIXTURES, n, 'Dockerfile')) || fs.existsSync(path.join(FIXTURES, n, 'build.json'))).sort();
  const list = all.map((name) => {
    const f = path.join(FIXTURES, name, 'build.json');
    return { name, opts: (fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, 'utf8')) : {}) as FixtureOpts };
  });
  // fixtures that build on another come after it
  return [...list.filter((f) => !f.opts.after), ...list.filter((f) => f.opts.after)];
}

export function buildArgv(name: string, opts: FixtureOpts): string[] {
  const argv = ['build', '-t', `bt-${name}`];
  for (const a of opts.buildArgs ?? []) argv.push('--build-arg', a);
  for (const l of opts.labels ?? []) argv.push('--label', l);
  if (opts.target) argv.push('--target', opts.target);
  if (opts.file) argv.push('-f', path.join(FIXTURES, name, opts.file));
  argv.push(path.join(FIXTURES, name));
  return argv;
}

describe(`build fixtures (docker build, classic -> ${target() === 'docker' ? 'dockerd' : 'berthd'})`, { timeout: 20 * 60_000 }, () => {
  let daemon: TestDaemon;
  let cli: Cli;
  let base: Map<string, string>;
  before(async () => {
    daemon = await TestDaemon.start({ name: 'build' });
    cli = makeCli('docker', daemon.socket);
    await importBusybox(cli);
    base = await filesOf(daemon.socket, 'busybox');
  });
  after(async () => {
    if (process.env.BERTH_TEST_DAEMON_LOG === '1' && daemon) process.stderr.write(daemon.log());
    await daemon?.stop();
  });

  for (const { name, opts } of fixtures()) {
    test(name, { timeout: 120_000 }, async () => {
      const r = await cli(buildArgv(name, opts), { timeoutMs: 110_000 });
      assert.equal(r.code, 0, `build ${name} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Successfully built [0-9a-f]{12}\\nSuccessfully tagged bt-${name}:latest`));
      const inspect = JSON.parse((await cli(['image', 'inspect', `bt-${name}`])).stdout)[0];
      const got = { config: configOf(inspect), files: diffFiles(base, await filesOf(daemon.socket, `bt-${name}`)) };
      const file = path.join(FIXTURES, name, 'expected.json');
      if (GOLDEN) { fs.writeFileSync(file, `${JSON.stringify(got, null, 2)}\n`); return; }
      assert.ok(fs.existsSync(file), `no ${file}: record it against dockerd (TARGET=docker BUILD_GOLDEN=1)`);
      const want = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.deepEqual(got.config, want.config, `config of ${name}`);
      assert.deepEqual(got.files, want.files, `files of ${name}`);
    });
  }

  registerBuildBehaviour(() => ({ daemon, cli }));
});
