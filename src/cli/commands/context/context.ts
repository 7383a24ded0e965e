/**
 * `berth context create|ls|use|show|inspect|rm|export|import`, with docker's outputs
 * (names on stdout, confirmations on stderr) over the docker-layout store in store.ts.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseHost, resolveHost } from '../../../client';
import { StatusError, type CliContext, type CommandDef } from '../../command';
import { renderInspect } from '../../formatters/inspect';
import { renderList, type Column } from '../../formatters/table';
import { exportContext, importContext } from './archive';
import {
  ContextError, ContextStore, DEFAULT_CONTEXT, DEFAULT_DESCRIPTION, TLS_FILES, validateName, type ContextMeta, type TlsFile,
} from './store';

const storeOf = (ctx: CliContext) => new ContextStore(ctx.globals.config);

/** The context this invocation uses (--context, BERTH_CONTEXT, config.json), for the `*`. */
function currentName(ctx: CliContext): string {
  return ctx.globals.context ?? storeOf(ctx).current();
}

/** The default context's endpoint: -H when it was given, else BERTH_HOST / DOCKER_HOST / the default socket. */
function defaultHost(ctx: CliContext): string {
  return resolveHost(ctx.globals.context === DEFAULT_CONTEXT ? ctx.globals.host : undefined);
}

function fail(e: unknown): never {
  if (e instanceof ContextError) throw new StatusError(1, e.message);
  throw e;
}

/** docker's `--docker` value: comma-separated key=value (host, ca, cert, key, skip-tls-verify). */
export function parseDockerEndpointFlag(v: string): { host?: string; ca?: string; cert?: string; key?: string; skipTLSVerify: boolean } {
  const out: { host?: string; ca?: string; cert?: string; key?: string; skipTLSVerify: boolean } = { skipTLSVerify: false };
  for (const part of v.split(',').filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new ContextError(`unable to create docker endpoint config: invalid field "${part}": must be a key=value pair`);
    const k = part.slice(0, eq).trim();
    const val = part.slice(eq + 1).trim();
    if (k === 'host' || k === 'ca' || k === 'cert' || k === 'key') out[k] = val;
    else if (k === 'skip-tls-verify') out.skipTLSVerify = val === 'true' || val === '1';
    else throw new ContextError(`unable to create docker endpoint config: unrecognized config key: ${k}`);
  }
  return out;
}

function readTls(files: { ca?: string; cert?: string; key?: string }): Partial<Record<TlsFile, Buffer>> {
  const out: Partial<Record<TlsFile, Buffer>> = {};
  const map: [keyof typeof files, TlsFile][] = [['ca', 'ca.pem'], ['cert', 'cert.pem'], ['key', 'key.pem']];
  for (const [k, f] of map) {
    const p = files[k];
    if (!p) continue;
    try { out[f] = fs.readFileSync(p); } catch (e) {
      throw new ContextError(`unable to create docker endpoint config: open ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
    }
  }
  if ((out['cert.pem'] && !out['key.pem']) || (!out['cert.pem'] && out['key.pem'])) {
    throw new ContextError('unable to create docker endpoint config: cert and key must be given together');
  }
  return out;
}

/** Endpoint and TLS material of an existing context (the default one included), for --from. */
function endpointOf(ctx: CliContext, name: string): { host: string; skip: boolean; tls: Partial<Record<TlsFile, Buffer>> } {
  if (name === DEFAULT_CONTEXT) {
    const t = ctx.globals.tls;
    const tls = t ? readTls({ ca: t.verify || fs.existsSync(t.cacert) ? t.cacert : undefined, cert: fs.existsSync(t.cert) ? t.cert : undefined, key: fs.existsSync(t.key) ? t.key : undefined }) : {};
    return { host: defaultHost(ctx), skip: !!t && !t.verify, tls };
  }
  const store = storeOf(ctx);
  const meta = store.get(name);
  const tls: Partial<Record<TlsFile, Buffer>> = {};
  for (const [f, p] of Object.entries(store.tlsFiles(name))) tls[f as TlsFile] = fs.readFileSync(p);
  return { host: meta.Endpoints.docker?.Host ?? '', skip: !!meta.Endpoints.docker?.SkipTLSVerify, tls };
}

export const contextCreate: CommandDef = {
  path: 'context create',
  use: 'create [OPTIONS] CONTEXT',
  short: 'Create a context',
  flags: [
    { name: 'description', kind: 'string', usage: 'Description of the context' },
    { name: 'docker', kind: 'string', typeName: 'stringToString', usage: 'set the docker endpoint (host, ca, cert, key, skip-tls-verify)' },
    { name: 'from', kind: 'string', usage: 'create context from a named context' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, v, [name]) {
    try {
      validateName(name);
      const store = storeOf(ctx);
      if (store.exists(name)) throw new ContextError(`context "${name}" already exists`);
      let host: string;
      let skip: boolean;
      let tls: Partial<Record<TlsFile, Buffer>>;
      const docker = String(v.docker ?? '');
      if (docker) {
        if (v.from) throw new ContextError('conflicting options: cannot specify both --docker and --from');
        const ep = parseDockerEndpointFlag(docker);
        host = ep.host ?? resolveHost(undefined, {});
        skip = ep.skipTLSVerify;
        tls = readTls(ep);
      } else {
        ({ host, skip, tls } = endpointOf(ctx, String(v.from || currentName(ctx))));
      }
      try { parseHost(host); } catch (e) { throw new ContextError(`unable to parse docker host \`${host}\`: ${(e as Error).message}`); }
      const meta: ContextMeta = {
        Name: name,
        Metadata: v.description ? { Description: String(v.description) } : {},
        Endpoints: { docker: { Host: host, SkipTLSVerify: skip } },
      };
      store.save(meta, tls);
      ctx.stdout.write(`${name}\n`);
      ctx.stderr.write(`Successfully created context "${name}"\n`);
    } catch (e) { fail(e); }
  },
};

export const contextUpdate: CommandDef = {
  path: 'context update',
  use: 'update [OPTIONS] CONTEXT',
  short: 'Update a context',
  flags: [
    { name: 'description', kind: 'string', usage: 'Description of the context' },
    { name: 'docker', kind: 'string', typeName: 'stringToString', usage: 'set the docker endpoint (host, ca, cert, key, skip-tls-verify)' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, v, [name], changed) {
    try {
      validateName(name);
      const store = storeOf(ctx);
      const meta = store.get(name);
      if (changed.has('description')) meta.Metadata = { ...meta.Metadata, Description: String(v.description ?? '') };
      let tls: Partial<Record<TlsFile, Buffer>> | undefined;
      const docker = String(v.docker ?? '');
      if (docker) {
        const ep = parseDockerEndpointFlag(docker);
        const host = ep.host ?? meta.Endpoints.docker?.Host ?? resolveHost(undefined, {});
        try { parseHost(host); } catch (e) { throw new ContextError(`unable to parse docker host \`${host}\`: ${(e as Error).message}`); }
        meta.Endpoints = { ...meta.Endpoints, docker: { Host: host, SkipTLSVerify: ep.skipTLSVerify } };
        tls = readTls(ep);
      }
      store.save(meta, tls);
      ctx.stdout.write(`${name}\n`);
      ctx.stderr.write(`Successfully updated context "${name}"\n`);
    } catch (e) { fail(e); }
  },
};

interface Row { Name: string; Description: string; DockerEndpoint: string; Current: boolean; Error: string }

const COLUMNS: Column<Row>[] = [
  { header: 'NAME', field: 'Name', value: (r) => (r.Current ? `${r.Name} *` : r.Name) },
  { header: 'DESCRIPTION', field: 'Description', value: (r) => r.Description },
  { header: 'DOCKER ENDPOINT', field: 'DockerEndpoint', value: (r) => r.DockerEndpoint },
  { header: 'ERROR', field: 'Error', value: (r) => r.Error },
];

export const contextLs: CommandDef = {
  path: 'context ls',
  use: 'ls [OPTIONS]',
  short: 'List contexts',
  aliases: ['context list'],
  flags: [
    { name: 'format', kind: 'string', usage: 'Format output using a custom template:\n\'table\':            Print output in table format with column headers (default)\n\'table TEMPLATE\':   Print output in table format using the given Go template\n\'json\':             Print in JSON format\n\'TEMPLATE\':         Print output using the given Go template.' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show context names' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    const current = currentName(ctx);
    const rows: Row[] = [{ Name: DEFAULT_CONTEXT, Description: DEFAULT_DESCRIPTION, DockerEndpoint: defaultHost(ctx), Current: current === DEFAULT_CONTEXT, Error: '' }];
    for (const m of storeOf(ctx).list()) {
      rows.push({ Name: m.Name, Description: m.Metadata?.Description ?? '', DockerEndpoint: m.Endpoints?.docker?.Host ?? '', Current: m.Name === current, Error: '' });
    }
    rows.sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0));
    if (v.quiet) { ctx.stdout.write(rows.map((r) => `${r.Name}\n`).join('')); return; }
    ctx.stdout.write(renderList(rows, String(v.format ?? ''), COLUMNS, (r) => ({ ...r })));
  },
};

export const contextUse: CommandDef = {
  path: 'context use',
  use: 'use CONTEXT',
  short: 'Set the current docker context',
  flags: [],
  args: { min: 1, max: 1 },
  async run(ctx, _v, [name]) {
    try {
      const store = storeOf(ctx);
      if (name !== DEFAULT_CONTEXT && !store.exists(name)) throw new ContextError(`context "${name}" does not exist`);
      store.setCurrent(name);
      ctx.stdout.write(`${name}\n`);
      ctx.stderr.write(`Current context is now "${name}"\n`);
      const envVar = process.env.BERTH_HOST ? 'BERTH_HOST' : process.env.DOCKER_HOST ? 'DOCKER_HOST' : '';
      if (envVar && name !== DEFAULT_CONTEXT) {
        ctx.stderr.write(`Warning: ${envVar} environment variable overrides the active context. To use "${name}", either set the global --context flag, or unset ${envVar} environment variable.\n`);
      }
    } catch (e) { fail(e); }
  },
};

export const contextShow: CommandDef = {
  path: 'context show',
  use: 'show',
  short: 'Print the name of the current context',
  flags: [],
  args: { min: 0, max: 0 },
  async run(ctx) { ctx.stdout.write(`${currentName(ctx)}\n`); },
};

export const contextInspect: CommandDef = {
  path: 'context inspect',
  use: 'inspect [OPTIONS] [CONTEXT] [CONTEXT...]',
  short: 'Display detailed information on one or more contexts',
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: 'Format output using a custom template:\n\'json\':             Print in JSON format\n\'TEMPLATE\':         Print output using the given Go template.' }],
  args: { min: 0 },
  async run(ctx, v, args) {
    const names = args.length ? args : [currentName(ctx)];
    const store = storeOf(ctx);
    const out: unknown[] = [];
    for (const name of names) {
      if (name === DEFAULT_CONTEXT) {
        out.push({
          Name: DEFAULT_CONTEXT, Metadata: {}, Endpoints: { docker: { Host: defaultHost(ctx), SkipTLSVerify: !!ctx.globals.tls && !ctx.globals.tls.verify } },
          TLSMaterial: {}, Storage: { MetadataPath: '<IN MEMORY>', TLSPath: '<IN MEMORY>' },
        });
        continue;
      }
      let meta: ContextMeta;
      try { meta = store.get(name); } catch (e) { fail(e); }
      const files = Object.keys(store.tlsFiles(name)).filter((f) => (TLS_FILES as readonly string[]).includes(f));
      out.push({
        Name: meta.Name, Metadata: meta.Metadata, Endpoints: meta.Endpoints,
        TLSMaterial: files.length ? { docker: files } : {},
        Storage: { MetadataPath: store.metaPath(name), TLSPath: store.tlsPath(name) },
      });
    }
    ctx.stdout.write(renderInspect(out, String(v.format ?? '')));
  },
};

export const contextRm: CommandDef = {
  path: 'context rm',
  use: 'rm CONTEXT [CONTEXT...]',
  short: 'Remove one or more contexts',
  aliases: ['context remove'],
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of a context in use' }],
  args: { min: 1 },
  async run(ctx, v, names) {
    const store = storeOf(ctx);
    const current = store.current();
    const errors: string[] = [];
    for (const name of names) {
      try {
        if (name === DEFAULT_CONTEXT) throw new ContextError('default: context "default" cannot be removed');
        if (name === current && !v.force) throw new ContextError(`context "${name}" is in use, set -f flag to force remove`);
        store.remove(name);
        if (name === current) store.setCurrent(DEFAULT_CONTEXT);
        ctx.stdout.write(`${name}\n`);
      } catch (e) {
        if (!(e instanceof ContextError)) throw e;
        errors.push(e.message);
      }
    }
    if (errors.length) throw new StatusError(1, errors.join('\n'));
  },
};

export const contextExport: CommandDef = {
  path: 'context export',
  use: 'export [OPTIONS] CONTEXT [FILE|-]',
  short: 'Export a context to a tar archive FILE or a tar stream on STDOUT.',
  flags: [],
  args: { min: 1, max: 2 },
  async run(ctx, _v, [name, file]) {
    try {
      if (name === DEFAULT_CONTEXT) throw new ContextError('"default" is a reserved context name and cannot be exported');
      const tar = await exportContext(storeOf(ctx), name);
      const dest = file ?? `${name}.dockercontext`;
      if (dest === '-') { ctx.stdout.write(tar); return; }
      fs.writeFileSync(dest, tar, { mode: 0o600 });
      ctx.stderr.write(`Written file "${dest}"\n`);
    } catch (e) { fail(e); }
  },
};

export const contextImport: CommandDef = {
  path: 'context import',
  use: 'import CONTEXT FILE|-',
  short: 'Import a context from a tar file, as docker context export writes it',
  flags: [],
  args: { min: 2, max: 2 },
  async run(ctx, _v, [name, file]) {
    try {
      validateName(name);
      const store = storeOf(ctx);
      if (store.exists(name)) throw new ContextError(`context "${name}" already exists`);
      const data = file === '-' ? await readStream(ctx.stdin) : fs.readFileSync(path.resolve(file));
      await importContext(store, name, data);
      ctx.stdout.write(`${name}\n`);
      ctx.stderr.write(`Successfully imported context "${name}"\n`);
    } catch (e) { fail(e); }
  },
};

async function readStream(s: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c));
  return Buffer.concat(chunks);
}

export const contextCommands: CommandDef[] = [contextCreate, contextUpdate, contextLs, contextUse, contextShow, contextInspect, contextRm, contextExport, contextImport];
