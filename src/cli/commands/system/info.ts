import { ApiError, ConnectionError, type SystemInfo } from '../../../client';
import { FORMAT_USAGE_PLAIN, StatusError, type CommandDef } from '../../command';
import { compileTemplate, formatKind, goJson, TemplateFailure, templateError } from '../../formatters/table';
import { bytesSize } from '../../formatters/units';

type Any = Record<string, unknown>;
const str = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** The server half of `docker info`, as docker's prettyPrintServerInfo lays it out. */
export function renderServerInfo(i: SystemInfo): string {
  const lines: string[] = [];
  const add = (indent: number, key: string, value?: unknown) => lines.push(`${' '.repeat(indent)}${key}:${value === undefined ? '' : ` ${str(value)}`}`);
  add(1, 'Containers', i.Containers);
  add(2, 'Running', i.ContainersRunning);
  add(2, 'Paused', i.ContainersPaused);
  add(2, 'Stopped', i.ContainersStopped);
  add(1, 'Images', i.Images);
  add(1, 'Server Version', i.ServerVersion);
  add(1, 'Storage Driver', i.Driver);
  for (const [k, v] of (i.DriverStatus as [string, string][] | null) ?? []) add(2, k, v);
  add(1, 'Logging Driver', i.LoggingDriver);
  add(1, 'Cgroup Driver', i.CgroupDriver);
  add(1, 'Cgroup Version', i.CgroupVersion);
  const plugins = (i.Plugins as Any | undefined) ?? {};
  add(1, 'Plugins');
  add(2, 'Volume', ((plugins.Volume as string[] | null) ?? []).join(' '));
  add(2, 'Network', ((plugins.Network as string[] | null) ?? []).join(' '));
  add(2, 'Log', ((plugins.Log as string[] | null) ?? []).join(' '));
  add(1, 'Swarm', ((i.Swarm as Any | undefined)?.LocalNodeState as string | undefined) || 'inactive');
  add(1, 'Runtimes', Object.keys((i.Runtimes as Any | undefined) ?? {}).sort().join(' '));
  add(1, 'Default Runtime', i.DefaultRuntime);
  add(1, 'Init Binary', i.InitBinary);
  const commit = (k: string) => ((i[k] as Any | undefined)?.ID as string | undefined) ?? '';
  lines.push(` containerd version: ${commit('ContainerdCommit')}`);
  lines.push(` runc version: ${commit('RuncCommit')}`);
  lines.push(` init version: ${commit('InitCommit')}`);
  const secopts = (i.SecurityOptions as string[] | null) ?? [];
  if (secopts.length) {
    add(1, 'Security Options');
    for (const o of secopts) {
      const kv = Object.fromEntries(o.split(',').map((p) => p.split('=') as [string, string]));
      lines.push(`  ${kv.name ?? o}`);
      for (const [k, v] of Object.entries(kv)) if (k !== 'name') lines.push(`   ${k[0].toUpperCase()}${k.slice(1)}: ${v}`);
    }
  }
  add(1, 'Kernel Version', i.KernelVersion);
  add(1, 'Operating System', i.OperatingSystem);
  add(1, 'OSType', i.OSType);
  add(1, 'Architecture', i.Architecture);
  add(1, 'CPUs', i.NCPU);
  add(1, 'Total Memory', bytesSize(Number(i.MemTotal ?? 0)));
  add(1, 'Name', i.Name);
  add(1, 'ID', i.ID);
  add(1, 'Docker Root Dir', i.DockerRootDir);
  add(1, 'Debug Mode', i.Debug ? 'true' : 'false');
  if (str(i.HttpProxy)) add(1, 'HTTP Proxy', i.HttpProxy);
  if (str(i.HttpsProxy)) add(1, 'HTTPS Proxy', i.HttpsProxy);
  if (str(i.NoProxy)) add(1, 'No Proxy', i.NoProxy);
  const labels = (i.Labels as string[] | null) ?? [];
  if (labels.length) {
    add(1, 'Labels');
    for (const l of labels) lines.push(`  ${l}`);
  }
  add(1, 'Experimental', i.ExperimentalBuild ? 'true' : 'false');
  const insecure = ((i.RegistryConfig as Any | undefined)?.InsecureRegistryCIDRs as string[] | undefined) ?? [];
  if (insecure.length) {
    add(1, 'Insecure Registries');
    for (const r of insecure) lines.push(`  ${r}`);
  }
  add(1, 'Live Restore Enabled', i.LiveRestoreEnabled ? 'true' : 'false');
  // docker ends the server section with an empty line; its warnings go to stderr
  return `${lines.join('\n')}\n\n`;
}

export const info: CommandDef = {
  path: 'system info',
  aliases: ['info'],
  use: 'info [OPTIONS]',
  short: 'Display system-wide information',
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: FORMAT_USAGE_PLAIN }],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    const format = String(v.format ?? '');
    let tpl: { execute(data: unknown): string } | undefined;
    if (format && formatKind(format) !== 'json') {
      try {
        tpl = compileTemplate(format);
      } catch (e) {
        throw templateError(e, { parse: 'template parsing error: ', exec: '', parseCode: 64 });
      }
    }
    let server: SystemInfo | undefined;
    let failure: unknown;
    try {
      server = await ctx.client().info();
    } catch (e) {
      failure = e;
    }
    const clientInfo = { Version: '0.1.0', Context: 'default', Debug: ctx.globals.debug };
    if (format) {
      if (failure) throw failure;
      const data = { ...server, ClientInfo: clientInfo };
      if (!tpl) {
        ctx.stdout.write(`${goJson(data)}\n`);
        return;
      }
      try {
        ctx.stdout.write(`${tpl.execute(data)}\n`);
      } catch (e) {
        if (e instanceof TemplateFailure) ctx.stdout.write(`${e.partial}\n`);
        throw templateError(e, { parse: '', exec: '' });
      }
      return;
    }
    let out = `Client:\n Version:    ${clientInfo.Version}\n Context:    ${clientInfo.Context}\n Debug Mode: ${clientInfo.Debug}\n\nServer:\n`;
    if (server) out += renderServerInfo(server);
    ctx.stdout.write(out);
    const warnings = (server?.Warnings as string[] | null | undefined) ?? [];
    if (warnings.length) ctx.stderr.write(`${warnings.join('\n')}\n`);
    if (failure) {
      const msg = failure instanceof ApiError ? `Error response from daemon: ${failure.message}` : (failure as Error).message;
      if (failure instanceof ApiError || failure instanceof ConnectionError) throw new StatusError(1, `ERROR: ${msg}\nerrors pretty printing info`);
      throw failure;
    }
  },
};
