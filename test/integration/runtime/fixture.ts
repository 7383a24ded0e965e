import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RuncConmonRuntime } from '../../../src/runtime/runc';
import { buildSpec, SpecInput } from '../../../src/runtime/spec';
import type { CreateOptions } from '../../../src/runtime/types';

/** A temp dir with a busybox rootfs and a runtime whose state dir lives inside it. */
export interface Fixture {
  dir: string;
  rootfs: string;
  runtime: RuncConmonRuntime;
  ids: string[];
  cleanup(): Promise<void>;
}

const APPLETS = ['sh', 'cat', 'echo', 'sleep', 'true', 'false', 'ls', 'ps', 'stty', 'id', 'env', 'head', 'yes', 'wc', 'grep', 'kill', 'trap', 'seq', 'hostname', 'pwd', 'dd', 'tr'];

export function makeFixture(): Fixture {
  // Short path: conmon's attach socket must fit in sun_path (108 bytes).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'brt-'));
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.copyFileSync('/usr/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  for (const a of APPLETS) fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
  fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  const runtime = new RuncConmonRuntime({ stateDir: path.join(dir, 'rt') });
  const ids: string[] = [];
  return {
    dir, rootfs, runtime, ids,
    async cleanup() {
      for (const id of ids) {
        try { execFileSync('/usr/sbin/runc', ['--root', runtime.runcRoot, 'delete', '-f', id], { stdio: 'ignore' }); } catch { /* gone */ }
        for (const h of fs.readdirSync('/sys/fs/cgroup')) {
          try { fs.rmdirSync(path.join('/sys/fs/cgroup', h, 'berth', id)); } catch { /* gone */ }
        }
      }
      runtime.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
export function newId(f: Fixture, tag: string): string {
  const id = `brt${process.pid}${tag}${counter++}`;
  f.ids.push(id);
  return id;
}

export function containerOpts(f: Fixture, id: string, args: string[], over: Partial<CreateOptions> = {}, spec: Partial<SpecInput> = {}): CreateOptions {
  const bundleDir = path.join(f.dir, 'b', id);
  const tty = over.tty ?? false;
  return {
    id, bundleDir, tty, openStdin: false, stdinOnce: false, logPath: path.join(bundleDir, 'ctr.log'),
    spec: buildSpec({
      id, rootfs: f.rootfs, args, env: ['PATH=/bin', 'HOME=/'], user: { uid: 0, gid: 0 }, terminal: tty,
      hostname: 'c1', namespaces: { network: 'host' }, ...spec,
    }),
    ...over,
  };
}

export function collect(stream: { onData(cb: (s: 1 | 2, d: Buffer) => void): void; onEnd(cb: () => void): void }) {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const ended = new Promise<void>((resolve) => stream.onEnd(resolve));
  stream.onData((s, d) => (s === 1 ? out : err).push(d));
  return { ended, stdout: () => Buffer.concat(out).toString(), stderr: () => Buffer.concat(err).toString() };
}

export function waitExit(rt: RuncConmonRuntime, id: string, timeoutMs = 10000): Promise<number> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no exit for ${id}`)), timeoutMs);
    rt.onExit((eid, code) => { if (eid === id) { clearTimeout(t); resolve(code); } });
  });
}

export function bundleOf(f: Fixture, id: string): string { return path.join(f.dir, 'b', id); }
