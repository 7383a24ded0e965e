/**
 * What `docker run` and `docker create` do around the API calls: create (pulling a missing
 * image first like docker does), attach before start, wait (next-exit, or removed with
 * --rm) before start, start, then stream until exit and return the container's code.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { ApiError, type EngineClient } from '../../../client';
import { PROG, StatusError, type CliContext } from '../../command';
import { UsageError } from '../../flags';
import { displayJsonMessages, JsonMessageError } from '../../formatters/jsonmessage';
import { forwardSignals, monitorTtySize, streamAttached } from '../../streams';
import type { CreateRequest } from './createbody';

/** `busybox` -> `busybox:latest`, as docker names an image in "Unable to find image". */
export function normalizeRef(ref: string): { name: string; tag?: string; full: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), full: ref };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { name: ref.slice(0, colon), tag: ref.slice(colon + 1), full: ref };
  return { name: ref, tag: 'latest', full: `${ref}:latest` };
}

/** The error shape `docker run`/`docker create` print, and the exit code docker derives. */
export function runFailure(verb: string, e: unknown): StatusError {
  const msg = e instanceof ApiError ? `Error response from daemon: ${e.message}` : (e as Error).message;
  let code = 125;
  if (/executable file not found|no such file or directory|system cannot find the file specified/.test(msg)) code = 127;
  else if (/permission denied|is a directory/.test(msg)) code = 126;
  return new StatusError(code, `${PROG}: ${msg}\n\nRun '${PROG} ${verb} --help' for more information`);
}

async function pullImage(client: EngineClient, ctx: CliContext, image: string, platform: string | undefined, quiet: boolean): Promise<void> {
  const ref = normalizeRef(image);
  const messages = await client.imagePull(ref.name, { tag: ref.tag ?? (ref.full.includes('@') ? ref.full.split('@')[1] : undefined), platform });
  const sink = quiet ? { write: () => true, isTTY: false } : ctx.stderr;
  await displayJsonMessages(messages, sink as never);
}

/** Create the container; returns its id. Throws StatusError shaped for `verb`. */
export async function createContainer(ctx: CliContext, req: CreateRequest, verb: string, quiet: boolean): Promise<string> {
  const client = ctx.client();
  const image = String(req.body.Image);
  const cidfile = String(req.body.HostConfig?.ContainerIDFile ?? '');
  if (cidfile && existsSync(cidfile)) {
    throw runFailure(verb, new Error(`container ID file found, make sure the other container isn't running or delete ${cidfile}`));
  }
  try {
    if (req.pull === 'always') await pullImage(client, ctx, image, req.platform, quiet);
    let res;
    try {
      res = await client.containerCreate(req.body, { name: req.name, platform: req.platform });
    } catch (e) {
      if (!(e instanceof ApiError) || e.statusCode !== 404 || !/no such image/i.test(e.message) || req.pull !== 'missing') throw e;
      ctx.stderr.write(`Unable to find image '${normalizeRef(image).full}' locally\n`);
      await pullImage(client, ctx, image, req.platform, quiet);
      res = await client.containerCreate(req.body, { name: req.name, platform: req.platform });
    }
    for (const w of res.Warnings ?? []) ctx.stderr.write(`WARNING: ${w}\n`);
    if (cidfile) writeFileSync(cidfile, res.Id);
    return res.Id;
  } catch (e) {
    if (e instanceof StatusError || e instanceof UsageError) throw e;
    if (e instanceof JsonMessageError) throw runFailure(verb, e);
    throw runFailure(verb, e);
  }
}

export interface RunFlags {
  detach: boolean;
  detachKeys: string;
  sigProxy: boolean;
}

export async function runContainer(ctx: CliContext, req: CreateRequest, flags: RunFlags, quiet: boolean): Promise<number> {
  const client = ctx.client();
  const body = req.body;
  const tty = !!body.Tty;
  if (tty && ctx.stdout.isTTY && body.HostConfig) body.HostConfig.ConsoleSize = [ctx.stdout.rows ?? 0, ctx.stdout.columns ?? 0];
  if (flags.detach) {
    const id = await createContainer(ctx, req, 'run', quiet);
    try {
      await client.containerStart(id);
    } catch (e) {
      throw runFailure('run', e);
    }
    ctx.stdout.write(`${id}\n`);
    return 0;
  }
  if (tty && body.AttachStdin && !ctx.stdin.isTTY) {
    throw new StatusError(1, 'the input device is not a TTY');
  }
  const id = await createContainer(ctx, req, 'run', quiet);
  const attaching = !!(body.AttachStdin || body.AttachStdout || body.AttachStderr);
  let streams: Promise<{ detached: boolean }> | undefined;
  try {
    if (attaching) {
      const h = await client.containerAttach(id, {
        stdin: !!body.AttachStdin, stdout: !!body.AttachStdout, stderr: !!body.AttachStderr,
        detachKeys: flags.detachKeys || undefined,
      });
      streams = streamAttached({
        socket: h.socket, tty, stdin: body.AttachStdin ? ctx.stdin : undefined,
        stdout: ctx.stdout, stderr: ctx.stderr, detachKeys: flags.detachKeys,
      });
    }
  } catch (e) {
    throw runFailure('run', e);
  }
  let wait;
  try {
    wait = await client.containerWaitBegin(id, body.HostConfig?.AutoRemove ? 'removed' : 'next-exit');
    await client.containerStart(id);
  } catch (e) {
    if (streams) streams.catch(() => undefined);
    throw runFailure('run', e);
  }
  const stopResize = tty ? monitorTtySize(ctx.stdout, (h, w) => client.containerResize(id, h, w)) : () => undefined;
  const stopSignals = !tty && flags.sigProxy ? forwardSignals((sig) => client.containerKill(id, sig)) : () => undefined;
  try {
    if (streams) {
      const { detached } = await streams;
      if (detached) return 0;
    }
    const r = await wait.result;
    return r.StatusCode;
  } catch (e) {
    throw new StatusError(125, `${PROG}: ${(e as Error).message}`);
  } finally {
    stopResize();
    stopSignals();
  }
}
