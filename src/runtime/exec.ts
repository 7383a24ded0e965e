import * as fs from 'node:fs';
import * as path from 'node:path';
import { conflict, system } from '../errdefs';
import { connectAttach, SeqpacketAttach } from './attach';
import { spawnConmon, writeCtl } from './conmon-io';
import { runcMessage } from './runc-cli';
import type { ExecHandle, ExecOptions } from './types';

/**
 * `conmon --exec`: conmon runs `runc exec --pid-file P --process SPEC --detach [--tty] ID` and
 * reports on the sync pipe: first the exec pid (or a negative number and runc's error), then
 * the exit status. With an attachment we pass --exec-attach and follow podman's handshake:
 *   1. write to the start pipe (conmon reads it once before forking);
 *   2. read the attach pipe: conmon's attach socket `<execDir>/attach` listens;
 *   3. connect to it, then write to the start pipe again: only now does conmon run `runc exec`,
 *      so no output is lost.
 * Flags: --api-version 1 -c CONTAINER -u EXEC_ID -r RUNC -b EXEC_DIR -p EXEC_DIR/pid
 *   -l none --exit-dir EXEC_DIR --socket-dir-path SOCKDIR -e --exec-process-spec FILE
 *   [--exec-attach] [-i] [-t] --runtime-arg --root --runtime-arg RUNC_ROOT.
 * (`-u` names the symlink SOCKDIR/EXEC_ID -> EXEC_DIR conmon creates to bind the socket;
 * --exit-dir writes EXEC_DIR/<container id>, a fallback for the exit code.)
 */
export interface ExecDeps { conmonPath: string; runtimePath: string; runcRoot: string; sockDir: string }

export async function startExec(deps: ExecDeps, id: string, opts: ExecOptions): Promise<ExecHandle> {
  const dir = opts.execDir;
  await fs.promises.mkdir(dir, { recursive: true });
  const specFile = path.join(dir, 'process.json');
  await fs.promises.writeFile(specFile, JSON.stringify({ ...opts.process, terminal: opts.tty }));
  const attached = opts.attachStdin || opts.attachStdout || opts.attachStderr;
  const args = [
    '--api-version', '1', '-c', id, '-u', opts.execId, '-r', deps.runtimePath, '-b', dir,
    '-p', path.join(dir, 'pid'), '-l', 'none', '--exit-dir', dir, '--socket-dir-path', deps.sockDir,
    '-e', '--exec-process-spec', specFile,
  ];
  if (attached) args.push('--exec-attach');
  if (opts.attachStdin) args.push('-i');
  if (opts.tty) args.push('-t');
  args.push('--runtime-arg', '--root', '--runtime-arg', deps.runcRoot);

  const cm = spawnConmon(deps.conmonPath, args, { cwd: dir, startPipe: attached, attachPipe: attached });
  const fail = async (what: string, detail?: string): Promise<never> => {
    cm.sync.close();
    const msg = detail ? runcMessage(detail) : `${what}: ${cm.stderr() || 'conmon exited'}`;
    throw system(`OCI runtime exec failed: ${msg}: unknown`); // dockerd's wording
  };

  let stream: SeqpacketAttach | null = null;
  if (attached) {
    cm.start!.write('0');
    const ready = await cm.attach!.next();
    if (!ready) return fail('attach socket not ready');
    try {
      stream = await connectAttach(dir, `Container ${id} is not running`);
    } catch (e) {
      cm.start!.destroy();
      return fail('cannot attach', String((e as Error).message));
    }
    cm.start!.write('1');
    cm.start!.end();
  }

  const first = await cm.sync.next();
  if (!first || first.data <= 0) {
    stream?.close();
    const msg = first?.message?.trim() ?? '';
    if (/not running|stopped|does not exist/.test(msg)) throw conflict(`Container ${id} is not running`);
    return fail('unable to start exec process', msg);
  }
  const pid = first.data;

  const exitFile = path.join(dir, id);
  const exit = (async (): Promise<number> => {
    const m = await cm.sync.next();
    cm.sync.close();
    if (m && m.data >= 0) return m.data;
    try { return Number((await fs.promises.readFile(exitFile, 'utf8')).trim()); } catch {
      throw system(`exec ${opts.execId}: conmon did not report an exit status${m?.message ? `: ${m.message}` : ''}`);
    }
  })();
  exit.catch(() => undefined);
  cm.attach?.close();

  return {
    pid,
    attach: stream,
    wait: () => exit,
    resize: async (height: number, width: number) => {
      if (!opts.tty) return;
      const ok = await writeCtl(path.join(dir, 'ctl'), `1 ${Math.trunc(height)} ${Math.trunc(width)}\n`);
      if (!ok) throw conflict(`exec ${opts.execId} is not running`);
    },
  };
}
