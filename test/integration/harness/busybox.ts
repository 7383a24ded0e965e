/**
 * A busybox image made from the host's static busybox: bin/busybox plus one symlink per
 * applet, and a minimal /etc/passwd and /etc/group (like the Docker Hub image, so `-u nobody`
 * resolves). Built once per run and cached in the temp dir; imported with `docker import`.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Cli, CliResult } from './cli';

export const BUSYBOX_BIN = fs.existsSync('/usr/bin/busybox') ? '/usr/bin/busybox' : '/bin/busybox';
export const BUSYBOX_CMD = 'CMD ["sh"]';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'daemon:x:1:1:daemon:/usr/sbin:/bin/false',
  'www-data:x:33:33:www-data:/var/www:/bin/false',
  'tester:x:1000:1000:tester:/home/tester:/bin/sh',
  'nobody:x:65534:65534:nobody:/home:/bin/false',
  '',
].join('\n');
const GROUP = ['root:x:0:', 'daemon:x:1:', 'www-data:x:33:', 'tester:x:1000:', 'nogroup:x:65534:', ''].join('\n');

/** Path of the rootfs tar, building it if this busybox has not been packed yet. */
export function busyboxTar(): string {
  const st = fs.statSync(BUSYBOX_BIN);
  const cacheDir = path.join(os.tmpdir(), 'berth-test-cache');
  const tarPath = path.join(cacheDir, `busybox-${st.size}-${Math.floor(st.mtimeMs)}-v1.tar`);
  if (fs.existsSync(tarPath)) return tarPath;
  fs.mkdirSync(cacheDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(cacheDir, 'rootfs-'));
  try {
    const rootfs = path.join(work, 'rootfs');
    for (const d of ['bin', 'etc', 'root', 'tmp', 'home/tester', 'var/www', 'proc', 'sys', 'dev']) {
      fs.mkdirSync(path.join(rootfs, d), { recursive: true });
    }
    fs.chmodSync(path.join(rootfs, 'tmp'), 0o1777);
    fs.copyFileSync(BUSYBOX_BIN, path.join(rootfs, 'bin', 'busybox'));
    fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
    const applets = execFileSync(BUSYBOX_BIN, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const a of applets) {
      if (a === 'busybox' || a.includes('/')) continue;
      fs.symlinkSync('busybox', path.join(rootfs, 'bin', a));
    }
    fs.writeFileSync(path.join(rootfs, 'etc', 'passwd'), PASSWD);
    fs.writeFileSync(path.join(rootfs, 'etc', 'group'), GROUP);
    fs.chownSync(path.join(rootfs, 'home', 'tester'), 1000, 1000);
    const tmpTar = path.join(work, 'rootfs.tar');
    execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', tmpTar, '.']);
    fs.renameSync(tmpTar, tarPath); // atomic: parallel test files never read half a tar
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  return tarPath;
}

/** `<cli> import -c 'CMD ["sh"]' - <ref>` with the busybox tar on stdin; throws on failure. */
export async function importBusybox(cli: Cli, ref = 'busybox:latest'): Promise<CliResult> {
  const r = await cli(['import', '-c', BUSYBOX_CMD, '-', ref], { input: fs.readFileSync(busyboxTar()), timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`import ${ref} failed (${r.code}): ${r.stderr}`);
  return r;
}
