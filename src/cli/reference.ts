/**
 * Image reference checks the docker CLI makes before calling the daemon (the grammar of
 * distribution/reference): `[domain[:port]/]path[:tag][@digest]`.
 */
const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domain = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?`;
const name = `(?:${domain}/)?${pathComponent}(?:/${pathComponent})*`;
const tag = '[\\w][\\w.-]{0,127}';
const digest = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9A-Fa-f]{32,}';
const referenceRe = new RegExp(`^(${name})(?::(${tag}))?(?:@(${digest}))?$`);

export interface ParsedReference { name: string; tag?: string; digest?: string }

export class ReferenceError extends Error {}

/** Parse like reference.ParseNormalizedNamed (without adding docker.io/library). */
export function parseReference(ref: string): ParsedReference {
  const m = referenceRe.exec(ref);
  if (!m) {
    if (referenceRe.test(ref.toLowerCase())) {
      const nameOnly = ref.split('@')[0].replace(/:[\w][\w.-]{0,127}$/, '');
      throw new ReferenceError(`invalid reference format: repository name (${remoteName(nameOnly)}) must be lowercase`);
    }
    throw new ReferenceError('invalid reference format');
  }
  if (m[1].length > 255) throw new ReferenceError('repository name must not be more than 255 characters');
  return { name: m[1], tag: m[2], digest: m[3] };
}

/** The path part of a name as docker's splitDockerDomain sees it (`library/` added for one component). */
function remoteName(n: string): string {
  const i = n.indexOf('/');
  const first = i >= 0 ? n.slice(0, i) : '';
  const hasDomain = i >= 0 && (/[.:]/.test(first) || first === 'localhost' || first.toLowerCase() !== first);
  const rest = hasDomain ? n.slice(i + 1) : n;
  return !hasDomain && !rest.includes('/') ? `library/${rest}` : rest;
}
