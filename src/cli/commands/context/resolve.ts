/**
 * Which daemon a command talks to, the way the docker CLI decides it:
 *   --context and -H together are an error; -H (or BERTH_HOST / DOCKER_HOST) means the
 *   `default` context; otherwise --context, BERTH_CONTEXT, config.json's currentContext.
 * A stored context gives the host and its TLS files (verified unless SkipTLSVerify).
 */
import { ContextError, ContextStore, DEFAULT_CONTEXT } from './store';

export interface TlsPaths { verify: boolean; cacert: string; cert: string; key: string }

export interface Endpoint {
  context: string;
  /** Undefined for the default context: the client falls back to the environment. */
  host?: string;
  /** Set when the context carries TLS material; undefined leaves the global TLS flags in charge. */
  tls?: TlsPaths;
}

export function resolveContextName(o: { hostFlag?: string; contextFlag?: string; configDir: string; env?: NodeJS.ProcessEnv }): string {
  const env = o.env ?? process.env;
  if (o.contextFlag && o.hostFlag) throw new ContextError('conflicting options: cannot specify both --host and --context');
  if (o.contextFlag) return o.contextFlag;
  if (o.hostFlag) return DEFAULT_CONTEXT;
  if (env.BERTH_HOST || env.DOCKER_HOST) return DEFAULT_CONTEXT;
  if (env.BERTH_CONTEXT) return env.BERTH_CONTEXT;
  return new ContextStore(o.configDir).current();
}

export function resolveEndpoint(o: { hostFlag?: string; contextFlag?: string; configDir: string; env?: NodeJS.ProcessEnv }): Endpoint {
  const name = resolveContextName(o);
  if (name === DEFAULT_CONTEXT) return { context: name, host: o.hostFlag };
  const store = new ContextStore(o.configDir);
  const meta = store.get(name);
  const ep = meta.Endpoints.docker;
  if (!ep) throw new ContextError(`context "${name}" has no docker endpoint`);
  const files = store.tlsFiles(name);
  const hasTls = Object.keys(files).length > 0;
  const tls = hasTls || ep.SkipTLSVerify
    ? { verify: !ep.SkipTLSVerify, cacert: files['ca.pem'] ?? '', cert: files['cert.pem'] ?? '', key: files['key.pem'] ?? '' }
    : undefined;
  return { context: name, host: ep.Host, tls };
}
