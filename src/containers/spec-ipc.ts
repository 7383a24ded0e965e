import { runChecked } from '../util/spawn';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { invalidParameter, system } from '../errdefs';
import type { ContainerHooks, StartExtras } from './hooks';
import type { ContainerRecord } from './record';
import type { ContainerService } from './service';
import { containerUserns } from './userns';
import { rootPair } from '../util/idmap';

function isMounted(dir: string): boolean {
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8').split('\n').some((l) => l.split(' ')[4] === dir);
  } catch { return false; }
}

/**
 * Shareable IPC, as dockerd does it: a container started with `--ipc shareable` gets its
 * /dev/shm from a tmpfs mounted on the host (<container dir>/mounts/shm), and a container
 * with `--ipc container:<donor>` bind-mounts that same tmpfs (a tmpfs inside the donor's own
 * mount namespace cannot be bind-mounted from outside it). Unmounted when the donor stops.
 */
export class IpcShm implements ContainerHooks {
  constructor(private readonly svc: ContainerService) {}

  shmDir(c: ContainerRecord): string { return path.join(this.svc.containerDir(c.id), 'mounts', 'shm'); }

  async prepare(c: ContainerRecord): Promise<StartExtras | void> {
    const mode = c.hostConfig.IpcMode ?? '';
    if (mode === 'shareable') {
      const dir = this.shmDir(c);
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      if (!isMounted(dir)) {
        const size = c.hostConfig.ShmSize || 64 * 1024 * 1024;
        await runChecked('mount', ['-t', 'tmpfs', '-o', `mode=1777,size=${size},nosuid,nodev,noexec`, 'shm', dir]).catch((e: Error) => {
          throw system(`mounting shm tmpfs: ${e.message}`);
        });
        // --userns-remap: the container's root owns it, as dockerd chowns it to the remapped root
        const m = containerUserns(c.hostConfig);
        if (m) await fs.chown(dir, rootPair(m).uid, rootPair(m).gid);
      }
      return { mounts: [{ destination: '/dev/shm', type: 'bind', source: dir }] };
    }
    if (mode.startsWith('container:')) {
      const ref = mode.slice('container:'.length);
      const donor = this.svc.store.find(ref);
      if (!donor || !donor.state.Running) throw invalidParameter(`cannot join IPC of a non running container: ${ref}`);
      if (donor.hostConfig.IpcMode !== 'shareable' || !isMounted(this.shmDir(donor))) {
        throw invalidParameter('non-shareable IPC (hint: use IpcMode:shareable for the donor container)');
      }
      return { mounts: [{ destination: '/dev/shm', type: 'bind', source: this.shmDir(donor) }] };
    }
  }

  async stopped(c: ContainerRecord): Promise<void> { await this.release(c); }
  async removing(c: ContainerRecord): Promise<void> { await this.release(c); }

  private async release(c: ContainerRecord): Promise<void> {
    if (c.hostConfig.IpcMode !== 'shareable') return;
    const dir = this.shmDir(c);
    if (isMounted(dir)) await runChecked('umount', ['-l', dir]).catch(() => undefined);
  }
}
