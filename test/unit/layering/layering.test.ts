import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The import direction of ../shared/design/architecture.md, checked on the sources:
 *   errdefs <- util <- content, snapshots <- metadata <- images, distribution
 *   <- runtime, network, volumes <- containers <- builder <- engine <- server, registry
 * A module may import its own level or lower ones; `api` (types) is below everything.
 * `cli` imports only client, api and errdefs.
 */
const LEVEL: Record<string, number> = {
  api: 0, errdefs: 0, util: 1, config: 1, client: 1, content: 2, snapshots: 2, metadata: 3, images: 4, distribution: 4,
  runtime: 5, network: 5, volumes: 5, containers: 6, builder: 7, engine: 8, server: 9, registry: 9, cmd: 10,
};
const CLI_MAY_IMPORT = new Set(['cli', 'client', 'api', 'errdefs']);
/** Deliberate exceptions, each with its reason. */
const EXCEPTIONS = new Map<string, string>([
  ['cli -> registry', '`berth registry serve` runs the registry server (its own process, no daemon) from the CLI binary'],
]);

const SRC = path.resolve(__dirname, '../../../../src');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

test('imports point one way, as the architecture brief orders the layers', () => {
  const tsRoot = fs.existsSync(SRC) ? SRC : path.resolve(process.cwd(), 'src');
  const bad: string[] = [];
  for (const file of sources(tsRoot)) {
    const from = path.relative(tsRoot, file).split(path.sep)[0];
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\s+|import\(\s*|require\(\s*)'(\.{1,2}\/[^']*)'/g)) {
      const to = path.relative(tsRoot, path.resolve(path.dirname(file), m[1])).split(path.sep)[0];
      if (to === from) continue;
      const edge = `${from} -> ${to}`;
      if (EXCEPTIONS.has(edge)) continue;
      const ok = from === 'cli' ? CLI_MAY_IMPORT.has(to) : (LEVEL[from] ?? -1) >= (LEVEL[to] ?? 99);
      if (!ok) bad.push(`${edge} (${path.relative(tsRoot, file)})`);
    }
  }
  assert.deepEqual(bad, []);
});
