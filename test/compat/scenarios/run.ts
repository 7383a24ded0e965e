/** docker run and its flags: -d, --rm, -i, -t, -e, --env-file, -w, -u, --entrypoint, --name, --network. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { eventually } from '../../integration/harness';
import { Ctx, HEX64, NONE, ScenarioTools, inspectOne, lines, ok } from '../lib/suite';

export function runScenarios(ctx: Ctx, { it }: ScenarioTools): void {
  const run = (args: string[], opts?: Parameters<Ctx['cli']>[1]) => ctx.cli(['run', ...args], opts);

  it('run --rm prints output and removes the container', async (name) => {
    const r = ok(await run(['--rm', '--name', name, ...NONE, 'busybox', 'echo', 'hello']));
    assert.equal(r.stdout, 'hello\n');
    assert.equal(r.stderr, '');
    const ps = ok(await ctx.cli(['ps', '-aq', '--filter', `name=${name}`]));
    assert.equal(ps.stdout, '');
  });

  it('run exits with the container exit code and keeps stderr apart', async (name) => {
    const r = await run(['--name', name, ...NONE, 'busybox', 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.code, 3);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    const c = inspectOne(await ctx.cli(['inspect', name]));
    assert.equal(c.State.Status, 'exited');
    assert.equal(c.State.ExitCode, 3);
  });

  it('run exit codes 125 126 127 for daemon errors and bad commands', async (name) => {
    const missing = await run(['--rm', '--pull=never', ...NONE, `${name}-nosuch:latest`, 'true']);
    assert.equal(missing.code, 125);
    assert.match(missing.stderr, new RegExp(`No such image: ${name}-nosuch:latest`));
    const notFound = await run(['--rm', ...NONE, 'busybox', `${name}-nosuchcmd`]);
    assert.equal(notFound.code, 127, notFound.stderr);
    assert.match(notFound.stderr, /executable file not found|no such file or directory/);
    const notExec = await run(['--rm', ...NONE, 'busybox', '/etc/passwd']);
    assert.equal(notExec.code, 126, notExec.stderr);
    assert.match(notExec.stderr, /permission denied/);
    const badFlag = await run(['--no-such-flag', 'busybox']);
    assert.equal(badFlag.code, 125);
  });

  it('run -d prints the id and the container keeps running', async (name) => {
    const r = ok(await run(['-d', '--name', name, ...NONE, 'busybox', 'sleep', '300']));
    const id = r.stdout.trim();
    assert.match(id, HEX64);
    const c = inspectOne(await ctx.cli(['inspect', name]));
    assert.equal(c.Id, id);
    assert.equal(c.Name, `/${name}`);
    assert.equal(c.State.Running, true);
    assert.equal(c.State.Status, 'running');
    assert.ok(c.State.Pid > 0);
    assert.deepEqual(c.Config.Cmd, ['sleep', '300']);
    assert.equal(c.HostConfig.NetworkMode, 'none');
    for (const k of ['Id', 'Created', 'Path', 'Args', 'State', 'Image', 'ResolvConfPath', 'HostnamePath', 'HostsPath', 'LogPath',
      'Name', 'RestartCount', 'Driver', 'Platform', 'MountLabel', 'ProcessLabel', 'AppArmorProfile', 'HostConfig', 'GraphDriver',
      'Mounts', 'Config', 'NetworkSettings']) {
      assert.ok(k in c, `container inspect lacks ${k}`);
    }
    assert.equal(c.Path, 'sleep');
    assert.deepEqual(c.Args, ['300']);
    assert.equal(c.Config.Hostname, id.slice(0, 12));
    const host = ok(await ctx.cli(['exec', name, 'hostname']));
    assert.equal(host.stdout, `${id.slice(0, 12)}\n`);
  });

  it('run -i passes piped stdin and closes it at EOF', async (name) => {
    const r = ok(await run(['-i', '--rm', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'cat; echo eof'], { input: 'line one\nline two\n' }));
    assert.equal(r.stdout, 'line one\nline two\neof\n');
    const wc = ok(await run(['-i', '--rm', ...NONE, 'busybox', 'wc', '-c'], { input: Buffer.alloc(100_000, 97) }));
    assert.equal(wc.stdout.trim(), '100000');
  });

  it('run without -i gives the container no stdin', async (name) => {
    const r = ok(await run(['--rm', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'ignored\n' }));
    assert.equal(r.stdout, 'done\n');
  });

  it('run -t under a pty gives the container a terminal', async (name) => {
    const r = ok(await run(['-t', '--rm', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'tty; echo out; echo err >&2'], { tty: true }));
    // The container's pty turns \n into \r\n; without -i the CLI leaves the outer pty cooked,
    // which adds one more \r. stderr arrives on the same terminal.
    assert.match(r.stdout, /^\/dev\/pts\/\d+\r+\nout\r+\nerr\r+\n$/);
    const notty = ok(await run(['--rm', ...NONE, 'busybox', 'sh', '-c', 'tty || true']));
    assert.equal(notty.stdout, 'not a tty\n');
  });

  it('run -it under a pty takes typed input and returns the exit code', async (name) => {
    const r = await run(['-it', '--rm', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'read x; echo "got:$x"; exit 5'],
      { tty: true, input: 'typed\n' });
    assert.equal(r.code, 5, r.stdout + r.stderr);
    assert.match(r.stdout, /got:typed\r\n/);
    const notTty = await run(['-it', '--rm', ...NONE, 'busybox', 'true'], { input: 'x' });
    assert.equal(notTty.code, 1);
    assert.match(notTty.stderr, /the input device is not a TTY/);
  });

  it('run -e sets, passes through and empties variables', async (name) => {
    const r = ok(await run(['--rm', '--name', name, ...NONE, '-e', 'FOO=bar baz', '-e', 'EMPTY=', '-e', 'FROM_CLI_ENV', '-e', 'UNSET_IN_CLI_ENV',
      'busybox', 'sh', '-c', 'echo "$FOO|${EMPTY-unset}|$FROM_CLI_ENV|${UNSET_IN_CLI_ENV-unset}|$PATH|$HOSTNAME"'],
    { env: { FROM_CLI_ENV: 'passed' } }));
    const [foo, empty, passed, unset, pathVar, hostname] = r.stdout.trim().split('|');
    assert.equal(foo, 'bar baz');
    assert.equal(empty, '');
    assert.equal(passed, 'passed');
    assert.equal(unset, 'unset');
    assert.equal(pathVar, '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin');
    assert.match(hostname!, /^[0-9a-f]{12}$/);
  });

  it('run --env-file reads variables and skips comments', async (name) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-envfile-'));
    try {
      const file = path.join(dir, 'vars.env');
      fs.writeFileSync(file, '# a comment\nA=1\n\nB=two words\nC="quoted"\n');
      const r = ok(await run(['--rm', '--name', name, ...NONE, '--env-file', file, '-e', 'A=override', 'busybox', 'sh', '-c', 'echo "$A|$B|$C"']));
      assert.equal(r.stdout, 'override|two words|"quoted"\n');
      const missing = await run(['--rm', ...NONE, '--env-file', path.join(dir, 'nope'), 'busybox', 'true']);
      assert.equal(missing.code, 125);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('run -w sets and creates the working directory', async (name) => {
    const r = ok(await run(['--rm', '--name', name, ...NONE, '-w', '/tmp', 'busybox', 'pwd']));
    assert.equal(r.stdout, '/tmp\n');
    const made = ok(await run(['--rm', ...NONE, '-w', '/made/by/run', 'busybox', 'pwd']));
    assert.equal(made.stdout, '/made/by/run\n');
    const dflt = ok(await run(['--rm', ...NONE, 'busybox', 'pwd']));
    assert.equal(dflt.stdout, '/\n');
  });

  it('run -u takes uid:gid and names from the image passwd and group', async (name) => {
    const num = ok(await run(['--rm', '--name', name, ...NONE, '-u', '1000:1000', 'busybox', 'sh', '-c', 'echo $(id -u) $(id -g) $HOME']));
    assert.equal(num.stdout, '1000 1000 /home/tester\n');
    const byName = ok(await run(['--rm', ...NONE, '-u', 'nobody', 'busybox', 'sh', '-c', 'echo $(id -u) $(id -g) $(id -un)']));
    assert.equal(byName.stdout, '65534 65534 nobody\n');
    const mixed = ok(await run(['--rm', ...NONE, '-u', 'tester:www-data', 'busybox', 'sh', '-c', 'echo $(id -u) $(id -g)']));
    assert.equal(mixed.stdout, '1000 33\n');
    const unknownUid = ok(await run(['--rm', ...NONE, '-u', '4242', 'busybox', 'sh', '-c', 'echo $(id -u) $(id -g)']));
    assert.equal(unknownUid.stdout, '4242 0\n');
    const bad = await run(['--rm', ...NONE, '-u', 'nosuchuser', 'busybox', 'true']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /no matching entries in passwd file|unable to find user nosuchuser/);
  });

  it('run --entrypoint replaces the entrypoint', async (name) => {
    const r = ok(await run(['--rm', '--name', name, ...NONE, '--entrypoint', 'echo', 'busybox', 'from', 'entrypoint']));
    assert.equal(r.stdout, 'from entrypoint\n');
    const sh = ok(await run(['--rm', ...NONE, '--entrypoint', '/bin/sh', 'busybox', '-c', 'echo $0']));
    assert.equal(sh.stdout, '/bin/sh\n');
    ok(await run(['--name', `${name}-kept`, ...NONE, '--entrypoint', 'true', 'busybox']));
    const c = inspectOne(await ctx.cli(['inspect', `${name}-kept`]));
    assert.deepEqual(c.Config.Entrypoint, ['true']);
    assert.equal(c.Path, 'true');
  });

  it('run --name names the container and refuses a duplicate', async (name) => {
    const first = ok(await run(['-d', '--name', name, ...NONE, 'busybox', 'sleep', '300']));
    const id = first.stdout.trim();
    const dup = await run(['-d', '--name', name, ...NONE, 'busybox', 'sleep', '300']);
    assert.equal(dup.code, 125);
    assert.ok(dup.stderr.includes(`Conflict. The container name "/${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`), dup.stderr);
    const badName = await run(['--name', 'bad/name', ...NONE, 'busybox', 'true']);
    assert.equal(badName.code, 125);
    assert.match(badName.stderr, /Invalid container name \(bad\/name\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
  });

  it('run --network none has only loopback, host shares the daemon network', async (name) => {
    // The daemon's netns gets a veth pair (both ends inside it) that only host networking can see.
    const dummy = 'btveth0';
    execFileSync('ip', ['-n', ctx.daemon.netns, 'link', 'add', dummy, 'type', 'veth', 'peer', 'name', 'btveth1']);
    try {
      const none = ok(await run(['--rm', '--name', name, '--network', 'none', 'busybox', 'ls', '/sys/class/net']));
      assert.deepEqual(lines(none.stdout), ['lo']);
      const host = ok(await run(['--rm', '--network', 'host', 'busybox', 'ls', '/sys/class/net']));
      assert.ok(lines(host.stdout).includes(dummy), host.stdout);
      ok(await run(['-d', '--name', `${name}-h`, '--network', 'host', 'busybox', 'sleep', '300']));
      const c = inspectOne(await ctx.cli(['inspect', `${name}-h`]));
      assert.equal(c.HostConfig.NetworkMode, 'host');
      assert.ok('host' in c.NetworkSettings.Networks, JSON.stringify(c.NetworkSettings.Networks));
      const hosts = ok(await ctx.cli(['exec', `${name}-h`, 'cat', '/etc/hosts']));
      assert.match(hosts.stdout, /127\.0\.0\.1\s+localhost/);
    } finally {
      execFileSync('ip', ['-n', ctx.daemon.netns, 'link', 'del', dummy]);
    }
  });

  it('run writes hostname, hosts and resolv.conf into the container', async (name) => {
    ok(await run(['-d', '--name', name, ...NONE, '--hostname', 'myhost', '--add-host', 'extra.test:10.1.2.3', 'busybox', 'sleep', '300']));
    const h = ok(await ctx.cli(['exec', name, 'sh', '-c', 'hostname; cat /etc/hostname; grep extra.test /etc/hosts; test -f /etc/resolv.conf && echo resolv']));
    const out = lines(h.stdout);
    assert.equal(out[0], 'myhost');
    assert.equal(out[1], 'myhost');
    assert.match(out[2]!, /^10\.1\.2\.3\s+extra\.test$/);
    assert.equal(out[3], 'resolv');
    await eventually('container still running', async () => inspectOne(await ctx.cli(['inspect', name])).State.Running);
  });
}
