import { invalidParameter } from '../errdefs';

/**
 * Image references with the grammar and normalization of Docker's distribution/reference:
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain "/"] path-component ["/" path-component]*
 *
 * `busybox` normalizes to docker.io/library/busybox(:latest), `localhost:5000/a/b:t` keeps
 * its domain, and the familiar form (what `docker images` shows) strips docker.io/library/.
 * Errors carry Docker's messages, because scripts match them.
 */

export const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';
const NAME_TOTAL_LENGTH_MAX = 255;

const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const REFERENCE_RE = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const ANCHORED_NAME_RE = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const ANCHORED_TAG_RE = new RegExp(`^${tagPat}$`);
const IDENTIFIER_RE = /^[a-f0-9]{64}$/;
const SHA256_DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

const ERR_INVALID_FORMAT = 'invalid reference format';

/** A parsed, normalized reference: `domain/path` plus an optional tag and digest. */
export interface Reference {
  domain: string;
  path: string;
  tag?: string;
  digest?: string;
}

/** True for exactly `sha256:` followed by 64 lowercase hex digits: the only digests Berth stores. */
export function isValidDigest(d: string): boolean {
  return SHA256_DIGEST_RE.test(d);
}

const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

/** Validates a digest as go-digest does (sha256, sha384, sha512); throws InvalidParameter with its messages. */
export function validateDigest(d: string): string {
  const i = d.indexOf(':');
  if (i <= 0 || i + 1 >= d.length) throw invalidParameter(`invalid checksum digest format`);
  const alg = d.slice(0, i);
  if (!/^[a-z0-9]+(?:[.+_-][a-z0-9]+)*$/.test(alg)) throw invalidParameter('invalid checksum digest format');
  const len = DIGEST_HEX_LENGTH[alg];
  if (len === undefined) throw invalidParameter('unsupported digest algorithm');
  const hex = d.slice(i + 1);
  if (!/^[a-f0-9]*$/.test(hex)) throw invalidParameter('invalid checksum digest format');
  if (hex.length !== len) throw invalidParameter('invalid checksum digest length');
  return d;
}

/** A bare 64-hex image id (Docker refuses these as repository names). */
export const isFullIdentifier = (s: string): boolean => IDENTIFIER_RE.test(s);

export function fullName(r: Pick<Reference, 'domain' | 'path'>): string {
  return `${r.domain}/${r.path}`;
}

/** Canonical string: docker.io/library/busybox:latest, localhost:5000/a@sha256:... */
export function referenceString(r: Reference): string {
  return fullName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** The short name docker shows: `busybox`, `user/app`, `localhost:5000/a/b`. */
export function familiarName(r: Pick<Reference, 'domain' | 'path'>): string {
  if (r.domain !== DEFAULT_DOMAIN) return fullName(r);
  if (r.path.startsWith(OFFICIAL_REPO_PREFIX) && r.path.indexOf('/', OFFICIAL_REPO_PREFIX.length) === -1) {
    return r.path.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return r.path;
}

export function familiarString(r: Reference): string {
  return familiarName(r) + (r.tag !== undefined ? `:${r.tag}` : '') + (r.digest !== undefined ? `@${r.digest}` : '');
}

/** Adds `:latest` to a reference that has neither tag nor digest (Docker's TagNameOnly). */
export function tagNameOnly(r: Reference): Reference {
  return r.tag === undefined && r.digest === undefined ? { ...r, tag: DEFAULT_TAG } : r;
}

/** Parses a fully qualified reference (Docker's `reference.Parse`): no normalization. */
export function parseReference(s: string): Reference {
  if (s === '') throw invalidParameter('repository name must have at least one component');
  const m = REFERENCE_RE.exec(s);
  if (!m) {
    if (REFERENCE_RE.test(s.toLowerCase())) throw invalidParameter(`${ERR_INVALID_FORMAT}: repository name must be lowercase`);
    throw invalidParameter(ERR_INVALID_FORMAT);
  }
  const [, name, tag, digest] = m;
  if (name.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalidParameter(`${ERR_INVALID_FORMAT}: repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  const nm = ANCHORED_NAME_RE.exec(name);
  if (!nm) throw invalidParameter(ERR_INVALID_FORMAT);
  const domain = nm[1] ?? '';
  const path = nm[2];
  if (digest !== undefined) validateDigest(digest);
  const ref: Reference = { domain, path };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const i = name.indexOf('/');
  let domain: string;
  let remainder: string;
  if (i === -1 || (!/[.:]/.test(name.slice(0, i)) && name.slice(0, i) !== 'localhost' && name.slice(0, i).toLowerCase() === name.slice(0, i))) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = name.slice(0, i);
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes('/')) remainder = OFFICIAL_REPO_PREFIX + remainder;
  return { domain, remainder };
}

/**
 * Docker's ParseNormalizedNamed: what a user types (`busybox`, `user/app:1`,
 * `localhost:5000/x@sha256:...`) to a normalized reference. No default tag is added.
 */
export function parseNormalizedNamed(s: string): Reference {
  if (isFullIdentifier(s)) {
    throw invalidParameter(`invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`);
  }
  const { domain, remainder } = splitDockerDomain(s);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) {
    throw invalidParameter(`${ERR_INVALID_FORMAT}: repository name (${remote}) must be lowercase`);
  }
  const ref = parseReference(`${domain}/${remainder}`);
  if (ref.domain === '') throw invalidParameter(ERR_INVALID_FORMAT);
  return ref;
}

/** What a user may pass where an image is expected: a name, `sha256:<hex>`, or a bare 64-hex id. */
export type AnyReference = { kind: 'named'; ref: Reference } | { kind: 'digest'; digest: string };

/** Docker's ParseAnyReference. */
export function parseAnyReference(s: string): AnyReference {
  if (isFullIdentifier(s)) return { kind: 'digest', digest: `sha256:${s}` };
  if (/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:/.test(s) && !s.includes('/')) {
    // Looks like `alg:hex`: a digest if it validates, else it falls through to name parsing
    // (so `busybox:1` is a tagged name, as in Docker).
    try { return { kind: 'digest', digest: validateDigest(s) }; } catch { /* a name */ }
  }
  return { kind: 'named', ref: parseNormalizedNamed(s) };
}

/** Validates a tag as the tag endpoint does. */
export function validateTag(tag: string): string {
  if (!ANCHORED_TAG_RE.test(tag)) throw invalidParameter(`invalid tag format`);
  return tag;
}

/**
 * `repo` and `tag` as sent by `POST /images/{name}/tag` and `docker import`: the repo may
 * itself carry a tag; a digest is refused; the result always has a tag.
 */
export function parseRepoTag(repo: string, tag?: string): Reference {
  const ref = parseNormalizedNamed(repo);
  if (ref.digest !== undefined) throw invalidParameter('cannot import digest reference');
  // As Docker's reference.WithTag: the tag parameter replaces one written in repo.
  if (tag) return { domain: ref.domain, path: ref.path, tag: validateTag(tag) };
  return tagNameOnly(ref);
}
