import { invalidParameter } from '../errdefs';

/** Linux signal numbers (x86_64), as Docker's signal.ParseSignal knows them. */
export const SIGNALS: Record<string, number> = {
  ABRT: 6, ALRM: 14, BUS: 7, CHLD: 17, CLD: 17, CONT: 18, FPE: 8, HUP: 1, ILL: 4, INT: 2, IO: 29, IOT: 6,
  KILL: 9, PIPE: 13, POLL: 29, PROF: 27, PWR: 30, QUIT: 3, SEGV: 11, STKFLT: 16, STOP: 19, SYS: 31, TERM: 15,
  TRAP: 5, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, USR1: 10, USR2: 12, VTALRM: 26, WINCH: 28, XCPU: 24, XFSZ: 25,
};

/** "SIGTERM", "TERM", "15", "RTMIN+3" -> number; InvalidParameter like Docker's "Invalid signal: X". */
export function parseSignal(s: string): number {
  const raw = s.trim();
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n === 0 || n > 64) throw invalidParameter(`Invalid signal: ${s}`);
    return n;
  }
  const name = raw.toUpperCase().replace(/^SIG/, '');
  if (name in SIGNALS) return SIGNALS[name];
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(name) ?? /^RTMAX(?:-(\d+))?$/.exec(name);
  if (rt) {
    const off = Number(rt[1] ?? 0);
    const n = name.startsWith('RTMIN') ? 34 + off : 64 - off;
    if (n >= 34 && n <= 64) return n;
  }
  throw invalidParameter(`Invalid signal: ${s}`);
}
