/**
 * The distribution spec's error codes and the validation of what comes from the URL.
 * Names, tags and digests are checked here before any of them reaches a path.
 */
export type ErrorCode =
  | 'BLOB_UNKNOWN' | 'BLOB_UPLOAD_INVALID' | 'BLOB_UPLOAD_UNKNOWN' | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN' | 'MANIFEST_INVALID' | 'MANIFEST_UNKNOWN' | 'NAME_INVALID'
  | 'NAME_UNKNOWN' | 'SIZE_INVALID' | 'UNAUTHORIZED' | 'DENIED' | 'UNSUPPORTED'
  | 'TOO_MANY_REQUESTS' | 'TAG_INVALID' | 'PAGINATION_NUMBER_INVALID' | 'RANGE_INVALID' | 'UNKNOWN';

const MESSAGES: Record<ErrorCode, string> = {
  BLOB_UNKNOWN: 'blob unknown to registry',
  BLOB_UPLOAD_INVALID: 'blob upload invalid',
  BLOB_UPLOAD_UNKNOWN: 'blob upload unknown to registry',
  DIGEST_INVALID: 'provided digest did not match uploaded content',
  MANIFEST_BLOB_UNKNOWN: 'manifest references a manifest or blob unknown to registry',
  MANIFEST_INVALID: 'manifest invalid',
  MANIFEST_UNKNOWN: 'manifest unknown',
  NAME_INVALID: 'invalid repository name',
  NAME_UNKNOWN: 'repository name not known to registry',
  SIZE_INVALID: 'provided length did not match content length',
  UNAUTHORIZED: 'authentication required',
  DENIED: 'requested access to the resource is denied',
  UNSUPPORTED: 'The operation is unsupported.',
  TOO_MANY_REQUESTS: 'too many requests',
  TAG_INVALID: 'manifest tag did not match URI',
  PAGINATION_NUMBER_INVALID: 'invalid number of results requested',
  RANGE_INVALID: 'invalid content range',
  UNKNOWN: 'unknown error',
};

/** An error answered as `{"errors":[{code,message,detail}]}` with its HTTP status. */
export class RegistryError extends Error {
  constructor(readonly status: number, readonly code: ErrorCode, message?: string, readonly detail?: unknown) {
    super(message ?? MESSAGES[code]);
  }
  body(): string {
    return JSON.stringify({ errors: [{ code: this.code, message: this.message, detail: this.detail ?? null }] });
  }
}

export const regError = (status: number, code: ErrorCode, detail?: unknown, message?: string) => new RegistryError(status, code, message, detail);

/** The distribution spec's repository name grammar (each path component; the whole < 256). */
const NAME_RE = /^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
/** Any well-formed digest (other algorithms are answered as unsupported rather than invalid). */
const ANY_DIGEST_RE = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export const isValidName = (n: string) => n.length <= 255 && NAME_RE.test(n);
export const isValidTag = (t: string) => TAG_RE.test(t);
export const isDigest = (d: string) => DIGEST_RE.test(d);

export function checkName(n: string): string {
  if (!isValidName(n)) throw regError(400, 'NAME_INVALID', { name: n });
  return n;
}

/** A digest from the URL or query: only sha256 is stored; anything else is DIGEST_INVALID. */
export function checkDigestParam(d: string | null | undefined): string {
  if (!d || !isDigest(d)) throw regError(400, 'DIGEST_INVALID', { digest: d ?? null }, ANY_DIGEST_RE.test(d ?? '') ? 'unsupported digest algorithm' : 'invalid digest');
  return d;
}
