import { type CommandDef, detachKeysOf, StatusError } from '../../command';
import { forwardSignals, monitorTtySize, streamAttached } from '../../streams';

export const attach: CommandDef = {
  path: 'container attach',
  aliases: ['attach'],
  use: 'attach [OPTIONS] CONTAINER',
  short: 'Attach local standard input, output, and error streams to a running container',
  flags: [
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'no-stdin', kind: 'bool', usage: 'Do not attach STDIN' },
    { name: 'sig-proxy', kind: 'bool', usage: 'Proxy all received signals to the process', default: true },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, v, [name]) {
    const client = ctx.client();
    const c = await client.containerInspect(name);
    if (!c.State.Running) throw new StatusError(1, 'You cannot attach to a stopped container, start it first');
    if (c.State.Paused) throw new StatusError(1, 'You cannot attach to a paused container, unpause it first');
    if (c.State.Restarting) throw new StatusError(1, 'You cannot attach to a restarting container, wait until it is running');
    const tty = !!c.Config.Tty;
    const withStdin = !!c.Config.OpenStdin && !v['no-stdin'];
    if (withStdin && tty && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    const detachKeys = detachKeysOf(ctx, v['detach-keys']);
    const wait = await client.containerWaitBegin(c.Id, 'not-running');
    const h = await client.containerAttach(c.Id, { stdin: withStdin, stdout: true, stderr: true, detachKeys: detachKeys || undefined });
    const stopResize = tty ? monitorTtySize(ctx.stdout, (hh, w) => client.containerResize(c.Id, hh, w), true) : () => undefined;
    const stopSignals = !tty && v['sig-proxy'] !== false ? forwardSignals((sig) => client.containerKill(c.Id, sig)) : () => undefined;
    try {
      const { detached } = await streamAttached({
        socket: h.socket, tty, stdin: withStdin ? ctx.stdin : undefined, stdout: ctx.stdout, stderr: ctx.stderr, detachKeys,
      });
      // docker attach reports the detach as an error (its EscapeError), exit 1
      if (detached) throw new StatusError(1, 'read escape sequence');
      return (await wait.result).StatusCode;
    } finally {
      stopResize();
      stopSignals();
    }
  },
};
