import { type CommandDef, detachKeysOf, StatusError } from '../../command';
import { forwardSignals, monitorTtySize, streamAttached } from '../../streams';
import { eachContainer } from './each';

export const start: CommandDef = {
  path: 'container start',
  aliases: ['start'],
  use: 'start [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Start one or more stopped containers',
  flags: [
    { name: 'attach', short: 'a', kind: 'bool', usage: 'Attach STDOUT/STDERR and forward signals' },
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'interactive', short: 'i', kind: 'bool', usage: "Attach container's STDIN" },
  ],
  args: { min: 1 },
  async run(ctx, v, names) {
    const client = ctx.client();
    const detachKeys = detachKeysOf(ctx, v['detach-keys']);
    if (!v.attach && !v.interactive) {
      return eachContainer(ctx, names, async (n) => {
        await client.containerStart(n, { detachKeys: detachKeys || undefined });
        ctx.stdout.write(`${n}\n`);
      }, (failed) => `Error: failed to start containers: ${failed.join(', ')}`);
    }
    if (names.length > 1) throw new StatusError(1, 'you cannot start and attach multiple containers at once');
    const c = await client.containerInspect(names[0]);
    const tty = !!c.Config.Tty;
    const withStdin = !!v.interactive && !!c.Config.OpenStdin;
    if (withStdin && tty && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    const h = await client.containerAttach(c.Id, {
      stdin: withStdin, stdout: !!c.Config.AttachStdout, stderr: !!c.Config.AttachStderr, detachKeys: detachKeys || undefined,
    });
    const streams = streamAttached({
      socket: h.socket, tty, stdin: withStdin ? ctx.stdin : undefined, stdout: ctx.stdout, stderr: ctx.stderr, detachKeys,
    });
    const wait = await client.containerWaitBegin(c.Id, c.HostConfig?.AutoRemove ? 'removed' : 'next-exit');
    try {
      await client.containerStart(c.Id);
    } catch (e) {
      streams.catch(() => undefined);
      throw e;
    }
    const stopResize = tty ? monitorTtySize(ctx.stdout, (hh, w) => client.containerResize(c.Id, hh, w)) : () => undefined;
    const stopSignals = !tty ? forwardSignals((sig) => client.containerKill(c.Id, sig)) : () => undefined;
    try {
      const { detached } = await streams;
      if (detached) return 0;
      return (await wait.result).StatusCode;
    } finally {
      stopResize();
      stopSignals();
    }
  },
};

