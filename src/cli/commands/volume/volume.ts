import { ApiError } from '../../../client';
import { type Volume, volumeCreate, volumeInspect, volumeList, volumePrune, volumeRemove } from '../../../client/volumes';
import { FORMAT_USAGE_PLAIN, FORMAT_USAGE_TABLE, parseFilterFlags, StatusError, stringList, type CliContext, type CommandDef } from '../../command';
import { renderInspect } from '../../formatters/inspect';
import { renderList, type Column } from '../../formatters/table';
import { humanSize } from '../../formatters/units';

/** docker's prompt: only "y" or "Y" (after trimming) confirms; end of input declines. */
async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  ctx.stdout.write(`${message}\nAre you sure you want to continue? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let buf = '';
    const finish = (s: string) => { ctx.stdin.off('data', onData); ctx.stdin.off('end', onEnd); ctx.stdin.pause(); resolve(s); };
    const onData = (c: Buffer) => { buf += c.toString(); const nl = buf.indexOf('\n'); if (nl >= 0) finish(buf.slice(0, nl)); };
    const onEnd = () => finish(buf);
    ctx.stdin.on('data', onData);
    ctx.stdin.on('end', onEnd);
    ctx.stdin.resume();
  });
  return ['y', 'Y'].includes(answer.trim());
}

/** `--opt k=v` / `--label k=v` lists as maps (a bare key gets ""). */
function keyValues(list: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (flag === 'opt' && eq < 0) throw new StatusError(125, `invalid argument "${item}" for "-o, --opt" flag: invalid key value pair format in driver options`);
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

export const volumeCreateCmd: CommandDef = {
  path: 'volume create',
  use: 'create [OPTIONS] [VOLUME]',
  short: 'Create a volume',
  flags: [
    { name: 'driver', short: 'd', kind: 'string', usage: 'Specify volume driver name', default: 'local' },
    { name: 'label', kind: 'list', usage: 'Set metadata for a volume' },
    { name: 'name', kind: 'string', usage: 'Specify volume name', hidden: true },
    { name: 'opt', short: 'o', kind: 'list', typeName: 'map', usage: 'Set driver specific options' },
  ],
  args: { min: 0, max: 1 },
  async run(ctx, v, args) {
    const flagName = String(v.name ?? '');
    if (args[0] && flagName && args[0] !== flagName) {
      throw new StatusError(1, `conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
    }
    const vol = await volumeCreate(ctx.client(), {
      Name: args[0] || flagName || undefined, Driver: String(v.driver || 'local'),
      DriverOpts: keyValues(stringList(v.opt), 'opt'), Labels: keyValues(stringList(v.label), 'label'),
    });
    ctx.stdout.write(`${vol.Name}\n`);
  },
};

function volumeContext(vol: Volume): Record<string, unknown> {
  const labels = vol.Labels ?? {};
  return {
    Name: vol.Name, Driver: vol.Driver, Scope: vol.Scope, Mountpoint: vol.Mountpoint,
    Labels: Object.entries(labels).map(([k, val]) => `${k}=${val}`).join(','),
    Links: vol.UsageData ? String(vol.UsageData.RefCount) : 'N/A',
    Size: vol.UsageData && vol.UsageData.Size >= 0 ? humanSize(vol.UsageData.Size) : 'N/A',
    Label: (name: string) => labels[name] ?? '',
    Availability: 'N/A', Group: 'N/A', Status: 'N/A',
  };
}

export const volumeLs: CommandDef = {
  path: 'volume ls',
  aliases: ['volume list'],
  use: 'ls [OPTIONS]',
  short: 'List volumes',
  flags: [
    { name: 'cluster', kind: 'bool', usage: 'Display only cluster volumes, and use cluster volume list formatting', hidden: true },
    { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: "Provide filter values (e.g. 'dangling=true')" },
    { name: 'format', kind: 'string', usage: FORMAT_USAGE_TABLE },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display volume names' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    const res = await volumeList(ctx.client(), parseFilterFlags(stringList(v.filter)));
    const list = [...(res.Volumes ?? [])].sort((a, b) => a.Name.localeCompare(b.Name));
    const format = String(v.format ?? '');
    if (v.quiet && !format) { ctx.stdout.write(list.map((x) => `${x.Name}\n`).join('')); return; }
    const col = (header: string, field: string): Column<Volume> => ({ header, field, value: (r) => String(volumeContext(r)[field]) });
    ctx.stdout.write(renderList(list, v.quiet ? '{{.Name}}' : format, [col('DRIVER', 'Driver'), col('VOLUME NAME', 'Name')], volumeContext,
      { Scope: 'SCOPE', Mountpoint: 'MOUNTPOINT', Labels: 'LABELS', Links: 'LINKS', Size: 'SIZE' }));
  },
};

export const volumeInspectCmd: CommandDef = {
  path: 'volume inspect',
  use: 'inspect [OPTIONS] VOLUME [VOLUME...]',
  short: 'Display detailed information on one or more volumes',
  flags: [{ name: 'format', short: 'f', kind: 'string', usage: FORMAT_USAGE_PLAIN }],
  args: { min: 1 },
  async run(ctx, v, names) {
    const found: unknown[] = [];
    const errors: string[] = [];
    for (const n of names) {
      try { found.push(await volumeInspect(ctx.client(), n)); } catch (e) {
        if (e instanceof ApiError) errors.push(`Error response from daemon: ${e.message}`);
        else throw e;
      }
    }
    try { ctx.stdout.write(renderInspect(found, String(v.format ?? ''))); } catch (e) {
      throw new StatusError(1, `template parsing error: ${(e as Error).message}`);
    }
    if (errors.length) { ctx.stderr.write(`${errors.join('\n')}\n`); return 1; }
  },
};

export const volumeRm: CommandDef = {
  path: 'volume rm',
  aliases: ['volume remove'],
  use: 'rm [OPTIONS] VOLUME [VOLUME...]',
  short: 'Remove one or more volumes',
  flags: [{ name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of one or more volumes' }],
  args: { min: 1 },
  async run(ctx, v, names) {
    const errors: string[] = [];
    for (const n of names) {
      try {
        await volumeRemove(ctx.client(), n, !!v.force);
        ctx.stdout.write(`${n}\n`);
      } catch (e) {
        errors.push(e instanceof ApiError ? `Error response from daemon: ${e.message}` : (e as Error).message);
      }
    }
    if (errors.length) { ctx.stderr.write(`${errors.join('\n')}\n`); return 1; }
  },
};

export const volumePruneCmd: CommandDef = {
  path: 'volume prune',
  use: 'prune [OPTIONS]',
  short: 'Remove unused local volumes',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused volumes, not just anonymous ones' },
    { name: 'filter', kind: 'list', typeName: 'filter', usage: 'Provide filter values (e.g. "label=<label>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    const filters = parseFilterFlags(stringList(v.filter));
    if (v.all) {
      if (filters.all) throw new StatusError(125, 'conflicting options: cannot specify both --all and --filter all=1');
      filters.all = ['true'];
    }
    const all = !!v.all || (filters.all ?? []).some((a) => ['1', 'true', 'True'].includes(a));
    const warning = all
      ? 'WARNING! This will remove all local volumes not used by at least one container.'
      : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
    if (!v.force && !(await confirm(ctx, warning))) return 0;
    const report = await volumePrune(ctx.client(), filters);
    const deleted = report.VolumesDeleted ?? [];
    let out = '';
    if (deleted.length) out += `Deleted Volumes:\n${deleted.map((d) => `${d}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`;
    ctx.stdout.write(out);
  },
};
