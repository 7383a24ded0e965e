/**
 * The Dockerfile fixtures under test/fixtures/build/<name>/ and how one is built and checked:
 * the image's config and files must match expected.json, recorded from dockerd 20.10
 * (`TARGET=docker BUILD_GOLDEN=1 node --test dist/test/compat/build.test.js` rewrites it).
 * build.json may give buildArgs, labels, target, file (-f) and after (a fixture to build first).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { type Cli, REPO_ROOT, type TestDaemon, target } from '../../integration/harness';
import { configOf, diffFiles, filesOf } from './image-snapshot';

export const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'build');
const GOLDEN = process.env.BUILD_GOLDEN === '1' && target() === 'docker';

export interface FixtureOpts { buildArgs?: string[]; labels?: string[]; target?: string; file?: string; after?: string }

export function fixtures(): { name: string; opts: FixtureOpts }[] {
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

/** One test per fixture (those in `only`, when given), built with `cli` against `daemon`. */
export function registerFixtures(get: () => { daemon: TestDaemon; cli: Cli; base: Map<string, string> }, only?: Set<string>): void {
  for (const { name, opts } of fixtures()) {
    if (only && !only.has(name)) continue;
    test(name, { timeout: 120_000 }, async () => {
      const { daemon, cli, base } = get();
      const r = await cli(buildArgv(name, opts), { timeoutMs: 110_000 });
      assert.equal(r.code, 0, `build ${name} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, new RegExp(`Successfully built [0-9a-f]{12}\\nSuccessfully tagged bt-${name}:latest`));
      const inspect = JSON.parse((await cli(['image', 'inspect', `bt-${name}`])).stdout)[0];
      // COPY/ADD history lines carry the source checksum; berthd computes dockerd's
      const hist = JSON.parse((await cli(['history', '--no-trunc', '--format', '{{json .CreatedBy}}', `bt-${name}`])).stdout.trim().split('\n').map((l) => l || '""').join(',').replace(/^/, '[').replace(/$/, ']')) as string[];
      const copies = hist.filter((h) => /#\(nop\) (COPY|ADD) /.test(h)).reverse();
      const got = { config: configOf(inspect), files: diffFiles(base, await filesOf(daemon.socket, `bt-${name}`)), copies };
      const file = path.join(FIXTURES, name, 'expected.json');
      if (GOLDEN && cli.kind === 'docker') { fs.writeFileSync(file, `${JSON.stringify(got, null, 2)}\n`); return; }
      assert.ok(fs.existsSync(file), `no ${file}: record it against dockerd (TARGET=docker BUILD_GOLDEN=1)`);
      const want = JSON.parse(fs.readFileSync(file, 'utf8'));
      assert.deepEqual(got.config, want.config, `config of ${name}`);
      assert.deepEqual(got.files, want.files, `files of ${name}`);
      if (want.copies) assert.deepEqual(got.copies, want.copies, `COPY/ADD checksums of ${name}`);
    });
  }
}
