import { execFile } from '../util/spawn';
import { BerthError, conflict, notFound, system } from '../errdefs';

/** Runs `runc --root <root> ...` and maps its errors to the errdefs family. */
export class RuncCli {
  constructor(readonly runtimePath: string, readonly root: string) {}

  run(args: string[], opts: { id?: string; timeoutMs?: number } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(this.runtimePath, ['--root', this.root, ...args], { timeoutMs: opts.timeoutMs ?? 60_000, maxBuffer: 16 << 20 },
        (err, stdout, stderr) => {
          if (!err) { resolve(stdout); return; }
          reject(mapRuncError(runcMessage(stderr) || err.message, args[0], opts.id));
        });
    });
  }
}

/** runc logs errors through logrus: `time="..." level=error msg="container does not exist"`. */
export function runcMessage(stderr: string): string {
  const lines = stderr.trim().split('\n').filter(Boolean);
  const msgs = lines.map((l) => {
    const m = /msg="((?:[^"\\]|\\.)*)"/.exec(l);
    return m ? m[1].replace(/\\"/g, '"').replace(/\\\\/g, '\\') : l.replace(/^ERRO\[\d+\]\s*/, '');
  });
  return msgs.join('; ').trim();
}

export function mapRuncError(msg: string, command: string, id?: string): BerthError {
  const who = id ? `container ${id}` : 'container';
  if (/container does not exist|not exist/.test(msg)) return notFound(`No such container: ${id ?? ''}`.trim());
  if (/container not running|not running|is stopped|has stopped|cannot (start|kill) a container/.test(msg)) {
    return conflict(`Container ${id ?? ''} is not running`.replace('  ', ' '));
  }
  if (/not paused/.test(msg)) return conflict(`Container ${id ?? ''} is not paused`);
  if (/already paused|is paused/.test(msg)) return conflict(`Container ${id ?? ''} is already paused`);
  return system(`OCI runtime ${command} failed for ${who}: ${msg}`);
}
