import * as readline from 'node:readline';
import { StatusError, type CommandDef } from '../../command';
import { eraseCredentials, INDEX_SERVER, serverKey, storeCredentials } from '../registry-auth/config';

async function readAllStdin(ctx: Parameters<CommandDef['run']>[0]): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of ctx.stdin) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

async function prompt(ctx: Parameters<CommandDef['run']>[0], question: string, hidden: boolean): Promise<string> {
  const rl = readline.createInterface({ input: ctx.stdin, output: ctx.stdout, terminal: !!ctx.stdin.isTTY });
  if (hidden && ctx.stdin.isTTY) {
    const out = ctx.stdout;
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => { if (s.startsWith(question)) out.write(question); };
  }
  const answer = await new Promise<string>((resolve) => rl.question(question, resolve));
  rl.close();
  if (hidden && ctx.stdin.isTTY) ctx.stdout.write('\n');
  return answer.trim();
}

export const login: CommandDef = {
  path: 'login',
  use: 'login [OPTIONS] [SERVER]',
  short: 'Authenticate to a registry',
  flags: [
    { name: 'password', short: 'p', kind: 'string', usage: 'Password or Personal Access Token (PAT)' },
    { name: 'password-stdin', kind: 'bool', usage: 'Take the Password or Personal Access Token (PAT) from stdin' },
    { name: 'username', short: 'u', kind: 'string', usage: 'Username' },
  ],
  args: { max: 1 },
  async run(ctx, v, [server]) {
    let username = String(v.username ?? '');
    let password = String(v.password ?? '');
    if (password) ctx.stderr.write('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (v['password-stdin']) {
      if (password) throw new StatusError(1, '--password and --password-stdin are mutually exclusive');
      if (!username) throw new StatusError(1, 'Must provide --username with --password-stdin');
      password = await readAllStdin(ctx);
    }
    if (!username) username = await prompt(ctx, 'Username: ', false);
    if (!username) throw new StatusError(1, 'Error: Non-null Username Required');
    if (!password) password = await prompt(ctx, 'Password: ', true);
    if (!password) throw new StatusError(1, 'Error: Password Required');
    const addr = server ? serverKey(server) : INDEX_SERVER;
    const res = await ctx.client().registryLogin({ username, password, serveraddress: addr });
    const file = storeCredentials(ctx.globals.config, addr, username, password);
    ctx.stderr.write(`WARNING! Your password will be stored unencrypted in ${file}.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
    ctx.stdout.write(`${res.Status || 'Login Succeeded'}\n`);
  },
};

export const logout: CommandDef = {
  path: 'logout',
  use: 'logout [SERVER]',
  short: 'Log out from a registry',
  flags: [],
  args: { max: 1 },
  async run(ctx, _v, [server]) {
    const addr = server ? serverKey(server) : INDEX_SERVER;
    if (!eraseCredentials(ctx.globals.config, addr)) {
      ctx.stdout.write(`Not logged in to ${addr}\n`);
      return;
    }
    ctx.stdout.write(`Removing login credentials for ${addr}\n`);
  },
};
