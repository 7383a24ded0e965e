import { ApiError, CLIENT_API_VERSION, ConnectionError, type VersionInfo } from '../../../client';
import { FORMAT_USAGE_PLAIN, StatusError, type CommandDef } from '../../command';
import { compileTemplate, formatKind, goJson, TemplateFailure, templateError } from '../../formatters/table';

const BERTH_VERSION = '0.1.0';

/** Go's time.ANSIC, as docker shows the server's build time: `Thu May  7 21:09:36 2026`. */
export function ansic(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

export interface ClientVersion {
  Platform?: { Name: string };
  Version: string;
  ApiVersion: string;
  DefaultAPIVersion: string;
  /** docker's field name; berth runs on Node, so it holds e.g. `node v20.20.2` (as berthd's). */
  GoVersion: string;
  GitCommit: string;
  BuildTime: string;
  Os: string;
  Arch: string;
  Context: string;
}

/**
 * Templates see docker's Go field names, which differ from the JSON names for the API
 * versions (`{{.Server.APIVersion}}`, JSON `ApiVersion`).
 */
function goNames(v: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(v as Record<string, unknown>) };
  if ('ApiVersion' in out) {
    out.APIVersion = out.ApiVersion;
    delete out.ApiVersion;
  }
  return out;
}

function pad(key: string, width = 19): string {
  return `${key}:`.padEnd(width);
}

export function renderVersion(c: ClientVersion, s: VersionInfo | undefined): string {
  let out = `Client:${c.Platform?.Name ? ` ${c.Platform.Name}` : ''}\n`;
  out += ` ${pad('Version')}${c.Version}\n`;
  out += ` ${pad('API version')}${c.ApiVersion}${c.ApiVersion !== c.DefaultAPIVersion ? ` (downgraded from ${c.DefaultAPIVersion})` : ''}\n`;
  out += ` ${pad('Go version')}${c.GoVersion}\n`;
  out += ` ${pad('Git commit')}${c.GitCommit}\n`;
  out += ` ${pad('Built')}${c.BuildTime}\n`;
  out += ` ${pad('OS/Arch')}${c.Os}/${c.Arch}\n`;
  out += ` ${pad('Context')}${c.Context}\n`;
  if (!s) return out;
  out += `\nServer:${s.Platform?.Name ? ` ${s.Platform.Name}` : ''}\n`;
  const components = s.Components?.length ? s.Components : [{ Name: 'Engine', Version: s.Version, Details: {} as Record<string, string> }];
  for (const comp of components) {
    out += ` ${comp.Name}:\n`;
    if (comp.Name === 'Engine') {
      out += `  ${pad('Version', 18)}${s.Version}\n`;
      out += `  ${pad('API version', 18)}${s.ApiVersion} (minimum version ${s.MinAPIVersion ?? ''})\n`;
      out += `  ${pad('Go version', 18)}${s.GoVersion}\n`;
      out += `  ${pad('Git commit', 18)}${s.GitCommit}\n`;
      out += `  ${pad('Built', 18)}${s.BuildTime ? ansic(s.BuildTime) : ''}\n`;
      out += `  ${pad('OS/Arch', 18)}${s.Os}/${s.Arch}\n`;
      out += `  ${pad('Experimental', 18)}${s.Experimental ? 'true' : 'false'}\n`;
    } else {
      out += `  ${pad('Version', 18)}${comp.Version}\n`;
      for (const key of Object.keys(comp.Details ?? {}).sort()) out += `  ${pad(key, 18)}${comp.Details?.[key] ?? ''}\n`;
    }
  }
  return out;
}

export const version: CommandDef = {
  path: 'version',
  use: 'version [OPTIONS]',
  short: 'Show the Berth version information',
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: FORMAT_USAGE_PLAIN }],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    const format = String(v.format ?? '');
    let tpl: { execute(data: unknown): string } | undefined;
    if (format && formatKind(format) !== 'json') {
      try {
        tpl = compileTemplate(format, 'version');
      } catch (e) {
        throw templateError(e, { parse: 'template parsing error: ', exec: '', parseCode: 64 });
      }
    }
    const client = ctx.client();
    const clientVersion: ClientVersion = {
      Version: BERTH_VERSION, ApiVersion: CLIENT_API_VERSION, DefaultAPIVersion: CLIENT_API_VERSION,
      GoVersion: `node ${process.version}`, GitCommit: '', BuildTime: '', Os: process.platform, Arch: process.arch === 'x64' ? 'amd64' : process.arch,
      Context: 'default',
    };
    let server: VersionInfo | undefined;
    let failure: unknown;
    try {
      clientVersion.ApiVersion = await client.apiVersion();
      server = await client.version();
      // as the docker CLI does, show the engine's build time in Go's ANSIC layout
      const engine = server.Components?.find((c) => c.Name === 'Engine');
      if (engine?.Details?.BuildTime) engine.Details.BuildTime = ansic(engine.Details.BuildTime);
    } catch (e) {
      failure = e;
    }
    if (format) {
      if (formatKind(format) === 'json') {
        ctx.stdout.write(`${goJson({ Client: clientVersion, Server: server ?? null })}\n`);
      } else {
        try {
          ctx.stdout.write(`${tpl!.execute({ Client: goNames(clientVersion), Server: server ? goNames(server) : null })}\n`);
        } catch (e) {
          if (e instanceof TemplateFailure) ctx.stdout.write(`${e.partial}\n`);
          throw templateError(e, { parse: '', exec: '' });
        }
      }
    } else {
      ctx.stdout.write(renderVersion(clientVersion, server));
    }
    if (failure) {
      if (failure instanceof ApiError) throw new StatusError(1, `Error response from daemon: ${failure.message}`);
      if (failure instanceof ConnectionError) throw new StatusError(1, failure.message);
      throw failure;
    }
  },
};
