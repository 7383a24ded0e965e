/** docker/go-units and docker's timetypes, as the docker CLI prints and parses them. */

/** go-units HumanDuration: "Less than a second", "About a minute", "3 hours", "2 weeks"... */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000);
  if (seconds < 1) return 'Less than a second';
  if (seconds === 1) return '1 second';
  if (seconds < 60) return `${seconds} seconds`;
  const minutes = Math.trunc(ms / 60000);
  if (minutes === 1) return 'About a minute';
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(ms / 3600000);
  if (hours === 1) return 'About an hour';
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.trunc(hours / 24)} days`;
  if (hours < 24 * 30 * 2) return `${Math.trunc(hours / 24 / 7)} weeks`;
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24 / 30)} months`;
  return `${Math.trunc(Math.trunc(ms / 3600000) / 24 / 365)} years`;
}

/** Go's `%.*g`: `precision` significant digits, trailing zeros dropped, Go's exponent form. */
export function formatG(value: number, precision: number): string {
  if (value === 0) return '0';
  const s = value.toPrecision(precision);
  const m = /^(-?[\d.]+)e([+-])(\d+)$/.exec(s);
  if (m) {
    const mant = m[1].includes('.') ? m[1].replace(/\.?0+$/, '') : m[1];
    return `${mant}e${m[2]}${m[3].padStart(2, '0')}`;
  }
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

const decimalAbbrs = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const binaryAbbrs = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function sizeAndUnit(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]];
}

/** go-units HumanSizeWithPrecision: decimal units, e.g. "4.26MB", "1.98kB", "0B". */
export function humanSizeWithPrecision(size: number, precision: number): string {
  const [v, unit] = sizeAndUnit(size, 1000, decimalAbbrs);
  return `${formatG(v, precision)}${unit}`;
}

/** go-units HumanSize (precision 4). */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** go-units BytesSize: binary units, "1.5MiB". */
export function bytesSize(size: number): string {
  const [v, unit] = sizeAndUnit(size, 1024, binaryAbbrs);
  return `${formatG(v, 4)}${unit}`;
}

const binaryMultipliers: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** go-units RAMInBytes ("64m", "1.5g", "512"), as `--memory` parses. */
export function ramInBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$/.exec(value);
  if (!m) throw new Error(`invalid size: '${value}'`);
  const n = parseFloat(m[1]);
  const mult = m[2] ? binaryMultipliers[m[2].toLowerCase()] : 1;
  return Math.trunc(n * mult);
}

const durationUnits: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };

/** Go's time.ParseDuration, in milliseconds; undefined when it is not a duration. */
export function parseGoDuration(value: string): number | undefined {
  if (value === '0') return 0;
  const m = /^([+-])?((?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|ms|s|m|h))+$/.exec(value);
  if (!m) return undefined;
  let total = 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g;
  let part: RegExpExecArray | null;
  while ((part = re.exec(value))) total += parseFloat(part[1]) * durationUnits[part[2]];
  return m[1] === '-' ? -total : total;
}

/**
 * docker's timetypes.GetTimestamp: a Go duration is "that long before now", an RFC 3339
 * date (or a prefix of one) becomes a Unix timestamp, anything else (a timestamp) passes.
 */
export function getTimestamp(value: string, now: number = Date.now()): string {
  const d = parseGoDuration(value);
  if (d !== undefined) return unixString(now - d);
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const iso = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$/.exec(value);
  if (iso) {
    let s = value;
    if (!iso[1]) s += 'T00:00:00';
    else if (!iso[2]) s = s.replace(/(T\d{2}:\d{2})/, '$1:00');
    if (!iso[4]) s += 'Z';
    const t = Date.parse(s);
    if (!Number.isNaN(t)) return unixString(t);
  }
  return value;
}

function unixString(ms: number): string {
  const sec = Math.floor(ms / 1000);
  const nanos = Math.round((ms - sec * 1000) * 1e6);
  return `${sec}.${String(nanos).padStart(9, '0')}`;
}
