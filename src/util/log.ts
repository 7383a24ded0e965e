/** A tiny leveled logger writing dockerd-style lines to stderr. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const ORDER: LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

export interface Logger {
  level: LogLevel;
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export function createLogger(level: LogLevel = 'info', out: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  const logger: Logger = {
    level,
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
  };
  function emit(l: LogLevel, msg: string) {
    if (ORDER.indexOf(l) < ORDER.indexOf(logger.level)) return;
    out(`time="${new Date().toISOString()}" level=${l} msg=${JSON.stringify(msg)}\n`);
  }
  return logger;
}

export function isLogLevel(s: string): s is LogLevel { return (ORDER as string[]).includes(s); }
