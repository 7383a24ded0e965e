import { invalidParameter } from '../errdefs';

/** Linux signal numbers (x86-64/arm64 numbering), as docker's signal.SignalMap. */
export const SIGNALS: Readonly<Record<string, number>> = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, IOT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10,
  SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CLD: 17, CONT: 18,
  STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26, PROF: 27,
  WINCH: 28, IO: 29, POLL: 29, PWR: 30, SYS: 31, UNUSED: 31,
};

const SIGRTMIN = 34;
const SIGRTMAX = 64;

/**
 * "SIGTERM", "TERM", "term", "15", 15, "RTMIN+3" -> signal number. Throws InvalidParameter
 * with docker's message ("Invalid signal: FOO") for anything else.
 */
export function parseSignal(sig: string | number): number {
  if (typeof sig === 'number') {
    if (Number.isInteger(sig) && sig > 0 && sig <= SIGRTMAX) return sig;
    throw invalidParameter(`Invalid signal: ${sig}`);
  }
  const s = sig.trim();
  if (/^\d+$/.test(s)) return parseSignal(Number(s));
  const up = s.toUpperCase();
  const name = up.startsWith('SIG') ? up.slice(3) : up;
  if (name in SIGNALS) return SIGNALS[name];
  const rt = /^RTM(IN|AX)(?:([+-])(\d+))?$/.exec(name);
  if (rt) {
    const base = rt[1] === 'IN' ? SIGRTMIN : SIGRTMAX;
    const n = rt[3] ? Number(rt[3]) * (rt[2] === '-' ? -1 : 1) : 0;
    const v = base + n;
    if (v >= SIGRTMIN && v <= SIGRTMAX) return v;
  }
  throw invalidParameter(`Invalid signal: ${sig}`);
}
