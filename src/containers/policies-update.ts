import type { HostConfig, RestartPolicy } from '../api/types';
import { BerthError, invalidParameter, system } from '../errdefs';
import { type ResourceInput, ociResources, validateResources } from '../runtime/cgroups-resources';
import type { ContainerService } from './service';

/**
 * POST /containers/{id}/update: new resource limits and restart policy. The stored HostConfig
 * takes the fields that are set (zero means "leave as is", as in dockerd); a running container
 * gets them at once through the runtime (`runc update`).
 */
export interface UpdateBody extends ResourceInput { RestartPolicy?: RestartPolicy }

const RESOURCE_KEYS: (keyof ResourceInput)[] = [
  'Memory', 'MemorySwap', 'MemoryReservation', 'MemorySwappiness', 'OomKillDisable', 'NanoCpus', 'CpuShares', 'CpuPeriod', 'CpuQuota',
  'CpuRealtimePeriod', 'CpuRealtimeRuntime', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight',
];

export type ResourceUpdater = (id: string, resources: Record<string, unknown>) => Promise<void>;

export async function updateContainer(svc: ContainerService, ref: string, body: unknown, apply: ResourceUpdater): Promise<{ Warnings: string[] }> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalidParameter('invalid update config');
  const req = body as UpdateBody;
  const c = svc.get(ref);
  const hc = c.hostConfig;
  const fail = (e: unknown): never => {
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof BerthError && e.kind !== 'System') throw invalidParameter(`Cannot update container ${c.id}: ${msg}`);
    throw system(`Cannot update container ${c.id}: ${msg}`);
  };
  if (c.state.RemovalInProgress || c.state.Dead) throw invalidParameter(`Cannot update container ${c.id}: container is marked for removal and cannot be "update"`);
  const changes: ResourceInput = {};
  for (const k of RESOURCE_KEYS) {
    const v = req[k];
    if (v === undefined || v === null) continue;
    if ((v === 0 || v === '') && k !== 'PidsLimit') continue;
    (changes as Record<string, unknown>)[k] = v;
  }
  // dockerd's verifyContainerSettings: its errors come back as they are, without the container id
  const warnings = validateResources(changes, { update: true, current: hc as ResourceInput });
  if (req.RestartPolicy && req.RestartPolicy.Name !== undefined) {
    const name = req.RestartPolicy.Name || 'no';
    if (!['no', 'always', 'unless-stopped', 'on-failure'].includes(name)) {
      throw invalidParameter(`invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
    }
    if ((req.RestartPolicy.MaximumRetryCount ?? 0) < 0) throw invalidParameter('invalid restart policy: maximum retry count cannot be negative');
    if (name !== 'on-failure' && (req.RestartPolicy.MaximumRetryCount ?? 0) > 0) {
      throw invalidParameter(`invalid restart policy: maximum retry count can only be used with 'on-failure'`);
    }
  }
  // container.UpdateContainer and the runtime: wrapped as "Cannot update container <id>: ..."
  try {
    if (changes.Memory && changes.MemorySwap === undefined && (hc.MemorySwap ?? 0) > 0 && changes.Memory > (hc.MemorySwap ?? 0)) {
      throw invalidParameter('Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time');
    }
    if (req.RestartPolicy?.Name && req.RestartPolicy.Name !== 'no' && hc.AutoRemove) {
      throw invalidParameter('Restart policy cannot be updated because AutoRemove is enabled for the container');
    }
    if (c.state.Running && !c.state.Restarting && Object.keys(changes).length) {
      await apply(c.id, ociResources(changes));
    }
  } catch (e) {
    fail(e);
  }
  Object.assign(hc as HostConfig, changes);
  if (changes.NanoCpus) { hc.CpuPeriod = 0; hc.CpuQuota = 0; }
  if ((changes.CpuPeriod || changes.CpuQuota) && hc.NanoCpus) hc.NanoCpus = 0;
  if (req.RestartPolicy && req.RestartPolicy.Name !== undefined) {
    hc.RestartPolicy = { Name: req.RestartPolicy.Name || 'no', MaximumRetryCount: req.RestartPolicy.MaximumRetryCount ?? 0 };
  }
  svc.store.save(c);
  if (!c.state.Running) await svc.discardEarly(c.id); // a runtime made at create has the old limits
  svc.emit(c, 'update');
  return { Warnings: warnings };
}
