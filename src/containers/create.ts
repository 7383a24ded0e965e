import type { ContainerConfig, ContainerCreateBody, HostConfig, ImageConfigFile } from '../api/types';
import { invalidParameter } from '../errdefs';
import { strslice } from './validate';

/** Merges the image's config into the user's, as dockerd's merge() does (user wins). */
export function mergeImageConfig(user: ContainerConfig, image: ContainerConfig | undefined): ContainerConfig {
  const c: ContainerConfig = { ...user };
  if (!image) return c;
  if (!c.User) c.User = image.User;
  if (!c.ExposedPorts || Object.keys(c.ExposedPorts).length === 0) c.ExposedPorts = image.ExposedPorts;
  else if (image.ExposedPorts) c.ExposedPorts = { ...image.ExposedPorts, ...c.ExposedPorts };
  if (!c.Env || c.Env.length === 0) c.Env = image.Env;
  else {
    const keys = new Set(c.Env.map((e) => e.split('=', 1)[0]));
    c.Env = [...c.Env, ...(image.Env ?? []).filter((e) => !keys.has(e.split('=', 1)[0]))];
  }
  c.Labels = { ...(image.Labels ?? {}), ...(c.Labels ?? {}) };
  if (!c.Entrypoint || c.Entrypoint.length === 0) {
    if (!c.Cmd || c.Cmd.length === 0) c.Cmd = image.Cmd;
    if (c.Entrypoint === null || c.Entrypoint === undefined) c.Entrypoint = image.Entrypoint;
  }
  if (image.Healthcheck) {
    if (!c.Healthcheck) c.Healthcheck = image.Healthcheck;
    else {
      const h = { ...c.Healthcheck };
      const ih = image.Healthcheck;
      if (!h.Test?.length) h.Test = ih.Test;
      for (const k of ['Interval', 'Timeout', 'StartPeriod', 'StartInterval', 'Retries'] as const) if (!h[k]) h[k] = ih[k];
      c.Healthcheck = h;
    }
  }
  if (!c.WorkingDir) c.WorkingDir = image.WorkingDir;
  if (!c.Volumes || Object.keys(c.Volumes).length === 0) c.Volumes = image.Volumes;
  else c.Volumes = { ...c.Volumes, ...(image.Volumes ?? {}) };
  if (!c.StopSignal) c.StopSignal = image.StopSignal;
  return c;
}

/** Normalizes and checks the create request, returning Config and HostConfig as they will be stored. */
export function prepareConfig(body: ContainerCreateBody, image: ImageConfigFile): { config: ContainerConfig; hostConfig: HostConfig } {
  const { HostConfig: hc, NetworkingConfig: _nc, ...rest } = body;
  const user: ContainerConfig = { ...rest, Cmd: strslice(rest.Cmd), Entrypoint: strslice(rest.Entrypoint) };
  if (user.WorkingDir && !user.WorkingDir.startsWith('/')) {
    throw invalidParameter(`the working directory '${user.WorkingDir}' is invalid, it needs to be an absolute path`);
  }
  const config = mergeImageConfig(user, image.config);
  if (config.Entrypoint && config.Entrypoint.length === 1 && config.Entrypoint[0] === '') config.Entrypoint = null;
  if (!config.Entrypoint?.length && !config.Cmd?.length) throw invalidParameter('no command specified');
  const hostConfig: HostConfig = { ...(hc ?? {}) };
  hostConfig.CapAdd = strslice(hostConfig.CapAdd) ?? null;
  hostConfig.CapDrop = strslice(hostConfig.CapDrop) ?? null;
  if (!hostConfig.NetworkMode) hostConfig.NetworkMode = 'default';
  if (hostConfig.AutoRemove && hostConfig.RestartPolicy?.Name && hostConfig.RestartPolicy.Name !== 'no') {
    throw invalidParameter("can't create 'AutoRemove' container with restart policy");
  }
  const rp = hostConfig.RestartPolicy?.Name;
  if (rp && !['', 'no', 'always', 'unless-stopped', 'on-failure'].includes(rp)) {
    throw invalidParameter(`invalid restart policy: unknown policy '${rp}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if ((hostConfig.RestartPolicy?.MaximumRetryCount ?? 0) < 0) throw invalidParameter('invalid restart policy: maximum retry count cannot be negative');
  if (hostConfig.ShmSize !== undefined && hostConfig.ShmSize < 0) throw invalidParameter('SHM size can not be less than 0');
  for (const h of hostConfig.ExtraHosts ?? []) {
    if (!/^[^:=\s]+[:=]\S+$/.test(h)) throw invalidParameter(`invalid IP address in add-host: "${h}"`);
  }
  if (!config.Hostname && hostConfig.NetworkMode !== 'host') config.Hostname = '';
  return { config, hostConfig };
}

/** Splits the final command into Path and Args as Docker shows them. */
export function pathAndArgs(config: ContainerConfig): { path: string; args: string[] } {
  const argv = [...(config.Entrypoint ?? []), ...(config.Cmd ?? [])];
  return { path: argv[0] ?? '', args: argv.slice(1) };
}
