/** Engine API versions (moby api/swagger.yaml). Docker 28.2 speaks 1.50; we serve the same range. */
export const API_VERSION = '1.50';
export const MIN_API_VERSION = '1.24';
export const ENGINE_VERSION = '28.2.2-berth';
export const BERTH_VERSION = '0.1.0';
export const OS_TYPE = 'linux';

/** Compare dotted versions: negative when a < b. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
