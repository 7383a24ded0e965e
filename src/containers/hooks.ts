import type { SpecMount } from '../runtime/spec';
import type { ContainerRecord } from './record';

/**
 * What another subsystem (networking, volumes, restart policies, health checks) adds to a
 * container's start, or does when it stops or goes away. The lifecycle in service.ts calls
 * every registered hook in order; hooks never change the record's state themselves.
 */
export interface StartExtras {
  /** Path of a network namespace to join (e.g. /run/berth/netns/<id>); overrides the mode's default. */
  netnsPath?: string;
  /** Address of the container on its primary network, written into /etc/hosts with its hostname. */
  ip?: string;
  /** Extra /etc/hosts lines ("ip\tname alias"). */
  hostsEntries?: string[];
  /** Nameservers for /etc/resolv.conf (e.g. the embedded DNS server); --dns still wins. */
  nameservers?: string[];
  /** Additional mounts (volumes, binds). */
  mounts?: SpecMount[];
  /** Extra environment variables. */
  env?: string[];
  /**
   * Work that must be done before the process is released but not before `runc create`
   * (e.g. the host side of the network): it runs alongside the runtime's create.
   */
  ready?: Promise<void>;
}

export interface ContainerHooks {
  /** Called during create, after the record exists and before the `create` event (e.g. anonymous volumes). */
  created?(c: ContainerRecord): Promise<void>;
  /** Called on every start before the runtime creates the container; rootfs is mounted. */
  prepare?(c: ContainerRecord, rootfs: string): Promise<StartExtras | void>;
  /** Called after the process runs (pid known). */
  started?(c: ContainerRecord, pid: number): Promise<void>;
  /** Called after an exit was recorded and the runtime state was deleted (also when a start failed after prepare). */
  stopped?(c: ContainerRecord, info: { exitCode: number; manual: boolean }): Promise<void>;
  /** Called right after the `die` event (events that follow it, such as network disconnects). */
  died?(c: ContainerRecord): Promise<void>;
  /** Called before the record is deleted; `volumes` is docker rm -v. */
  removing?(c: ContainerRecord, opts: { volumes: boolean }): Promise<void>;
}

/** Folds every hook's extras into one. */
export function mergeExtras(list: (StartExtras | void)[]): StartExtras {
  const out: StartExtras = { hostsEntries: [], mounts: [], env: [] };
  const ready: Promise<void>[] = [];
  for (const e of list) {
    if (!e) continue;
    if (e.netnsPath) out.netnsPath = e.netnsPath;
    if (e.ip) out.ip = e.ip;
    if (e.nameservers) out.nameservers = e.nameservers;
    out.hostsEntries!.push(...(e.hostsEntries ?? []));
    out.mounts!.push(...(e.mounts ?? []));
    out.env!.push(...(e.env ?? []));
    if (e.ready) ready.push(e.ready);
  }
  if (ready.length) {
    out.ready = Promise.all(ready).then(() => undefined);
    out.ready.catch(() => undefined); // awaited by the start; a discarded start must not leave it unhandled
  }
  return out;
}
