import { type CommandDef, detachKeysOf, StatusError, stringList } from '../../command';
import { monitorTtySize, streamAttached } from '../../streams';
import { expandEnv, readKvFile } from './parseopts';

export const exec: CommandDef = {
  path: 'container exec',
  aliases: ['exec'],
  use: 'exec [OPTIONS] CONTAINER COMMAND [ARG...]',
  short: 'Execute a command in a running container',
  flags: [
    { name: 'detach', short: 'd', kind: 'bool', usage: 'Detached mode: run command in the background' },
    { name: 'detach-keys', kind: 'string', usage: 'Override the key sequence for detaching a container' },
    { name: 'env', short: 'e', kind: 'list', usage: 'Set environment variables' },
    { name: 'env-file', kind: 'list', usage: 'Read in a file of environment variables' },
    { name: 'interactive', short: 'i', kind: 'bool', usage: 'Keep STDIN open even if not attached' },
    { name: 'privileged', kind: 'bool', usage: 'Give extended privileges to the command' },
    { name: 'tty', short: 't', kind: 'bool', usage: 'Allocate a pseudo-TTY' },
    { name: 'user', short: 'u', kind: 'string', usage: 'Username or UID (format: "<name|uid>[:<group|gid>]")' },
    { name: 'workdir', short: 'w', kind: 'string', usage: 'Working directory inside the container' },
  ],
  args: { min: 2 },
  interspersed: false,
  async run(ctx, v, [container, ...cmd]) {
    const client = ctx.client();
    const detach = !!v.detach;
    const tty = !!v.tty;
    const interactive = !!v.interactive;
    const env = [...stringList(v['env-file']).flatMap((f) => readKvFile(f, process.env, true)), ...expandEnv(stringList(v.env), process.env)];
    if (tty && interactive && !detach && !ctx.stdin.isTTY) throw new StatusError(1, 'the input device is not a TTY');
    // as docker: no ConsoleSize without a TTY, [0, 0] when our stdout is not a terminal
    const consoleSize: [number, number] | undefined = !tty ? undefined : ctx.stdout.isTTY ? [ctx.stdout.rows ?? 0, ctx.stdout.columns ?? 0] : [0, 0];
    const body = {
      User: String(v.user ?? ''), Privileged: !!v.privileged, Tty: tty, ...(consoleSize ? { ConsoleSize: consoleSize } : {}),
      AttachStdin: interactive && !detach, AttachStderr: !detach, AttachStdout: !detach, Detach: detach,
      DetachKeys: detachKeysOf(ctx, v['detach-keys']), Env: env.length ? env : null, WorkingDir: String(v.workdir ?? ''), Cmd: cmd,
    };
    const { Id } = await client.execCreate(container, body);
    if (detach) {
      await client.execStartDetached(Id, { tty });
      return 0;
    }
    const h = await client.execStartAttached(Id, { tty, consoleSize });
    const streams = streamAttached({
      socket: h.socket, tty, stdin: interactive ? ctx.stdin : undefined, stdout: ctx.stdout, stderr: ctx.stderr,
      detachKeys: detachKeysOf(ctx, v['detach-keys']),
    });
    const stopResize = tty ? monitorTtySize(ctx.stdout, (hh, w) => client.execResize(Id, hh, w)) : () => undefined;
    try {
      const { detached } = await streams;
      if (detached) return 0;
    } finally {
      stopResize();
    }
    const info = await client.execInspect(Id);
    return info.ExitCode ?? 0;
  },
};

