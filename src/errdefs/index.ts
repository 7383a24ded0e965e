/**
 * The one error family of Berth. Every layer throws these; the HTTP server maps them to
 * Docker's status codes in one place (src/server/httperror.ts). Messages read like
 * Docker's, because scripts match them. This module imports nothing.
 */
export type ErrorKind =
  | 'NotFound'
  | 'Conflict'
  | 'InvalidParameter'
  | 'Forbidden'
  | 'NotModified'
  | 'Unavailable'
  | 'NotImplemented'
  | 'Unauthorized'
  | 'System';

export class BerthError extends Error {
  constructor(readonly kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = `${kind}Error`;
  }
}

export const notFound = (msg: string) => new BerthError('NotFound', msg);
export const conflict = (msg: string) => new BerthError('Conflict', msg);
export const invalidParameter = (msg: string) => new BerthError('InvalidParameter', msg);
export const forbidden = (msg: string) => new BerthError('Forbidden', msg);
export const notModified = (msg = '') => new BerthError('NotModified', msg);
export const unavailable = (msg: string) => new BerthError('Unavailable', msg);
export const notImplemented = (msg: string) => new BerthError('NotImplemented', msg);
export const unauthorized = (msg: string) => new BerthError('Unauthorized', msg);
export const system = (msg: string, cause?: unknown) => new BerthError('System', msg, { cause });

const is = (kind: ErrorKind) => (e: unknown): e is BerthError => e instanceof BerthError && e.kind === kind;
export const isNotFound = is('NotFound');
export const isConflict = is('Conflict');
export const isInvalidParameter = is('InvalidParameter');
export const isForbidden = is('Forbidden');
export const isNotModified = is('NotModified');
export const isUnavailable = is('Unavailable');
export const isNotImplemented = is('NotImplemented');
export const isUnauthorized = is('Unauthorized');

/** HTTP status for an error kind; anything that is not a BerthError is a 500. */
export function statusOf(e: unknown): number {
  if (!(e instanceof BerthError)) return 500;
  switch (e.kind) {
    case 'NotFound': return 404;
    case 'Conflict': return 409;
    case 'InvalidParameter': return 400;
    case 'Forbidden': return 403;
    case 'NotModified': return 304;
    case 'Unavailable': return 503;
    case 'NotImplemented': return 501;
    case 'Unauthorized': return 401;
    default: return 500;
  }
}
