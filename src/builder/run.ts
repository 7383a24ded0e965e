import { Duplex } from 'node:stream';
import type { ContainerConfig, HostConfig } from '../api/types';
import { changesTar } from '../containers/commit-changes';
import type { ContainerService } from '../containers/service';
import type { UnpackedLayer } from '../images/commit';
import type { LocalImageService } from '../images/service';
import { shortId } from '../util/ids';
import { storeIds } from '../containers/userns';

/**
 * A RUN step: a container from the current image with the step's command, its output sent
 * to the build stream as it comes, then its changes (whiteouts included) as the new layer.
 */
export interface RunDeps {
  images: LocalImageService;
  containers: ContainerService;
  out: (s: string) => void;
  /** told the container id as soon as it exists (for --rm / --force-rm clean-up) */
  created?: (id: string) => void;
  /** aborted when the client went away: the step's container is killed */
  signal?: AbortSignal;
}

export interface RunResult { containerId: string; exitCode: number }

export async function runStep(d: RunDeps, imageId: string, config: ContainerConfig, env: string[], cmd: string[], hostConfig: HostConfig): Promise<RunResult> {
  const body = {
    ...config, Image: imageId, Cmd: cmd, Entrypoint: [''], Env: env, AttachStdout: true, AttachStderr: true,
    OpenStdin: false, StdinOnce: false, Tty: false, Healthcheck: undefined, OnBuild: undefined,
    HostConfig: hostConfig,
  };
  delete (body as { Hostname?: string }).Hostname;
  if (d.signal?.aborted) throw new Error('build cancelled: the client went away');
  const { Id } = await d.containers.create(body, null);
  d.created?.(Id);
  d.out(` ---> Running in ${shortId(Id)}\n`);
  const c = d.containers.get(Id);
  let ended!: () => void;
  const outputDone = new Promise<void>((r) => { ended = r; });
  const sink = new Duplex({
    write(chunk: Buffer, _enc, cb) { d.out(chunk.toString('utf8')); cb(); },
    final(cb) { ended(); cb(); },
    read() { /* nothing to send to the container */ },
  });
  sink.on('close', () => ended());
  d.containers.hub(c).add({ socket: sink, stdin: false, stdout: true, stderr: true, tty: true, detachKeys: null });
  const waited = d.containers.wait(Id, 'next-exit').result;
  await d.containers.start(Id);
  const onAbort = () => { void d.containers.kill(Id, 'SIGKILL').catch(() => undefined); };
  d.signal?.addEventListener('abort', onAbort);
  const { StatusCode } = await waited.finally(() => d.signal?.removeEventListener('abort', onAbort));
  if (d.signal?.aborted) throw new Error('build cancelled: the client went away');
  await Promise.race([outputDone, new Promise((r) => setTimeout(r, 2000))]);
  return { containerId: Id, exitCode: StatusCode };
}

/** The container's changes as an unpacked layer, ready for commitChildImage. */
export async function containerLayer(d: RunDeps, containerId: string): Promise<UnpackedLayer> {
  const g = d.images.containerGraphDriver(containerId);
  const upper = g.Data?.UpperDir ?? d.images.containerLayerDiffDir(containerId);
  const lowers = (g.Data?.LowerDir ?? '').split(':').filter(Boolean);
  const tar = await changesTar(upper, lowers, storeIds()?.toContainer);
  return d.images.unpackLayer(tar);
}
