/** exec (-i, -t, -e, -w, -u, -d), attach, events. */
import assert from 'node:assert/strict';
import { eventually, waitForOutput } from '../../integration/harness';
import { Ctx, NONE, ScenarioTools, inspectOne, lines, ok } from '../lib/suite';

export function execAttachEventsScenarios(ctx: Ctx, { it }: ScenarioTools): void {
  const up = async (name: string, ...extra: string[]) =>
    ok(await ctx.cli(['run', '-d', '--name', name, ...NONE, ...extra, 'busybox', 'sleep', '300'])).stdout.trim();

  it('exec runs a command and returns its exit code', async (name) => {
    await up(name, '-e', 'CONTAINER_VAR=c');
    const r = ok(await ctx.cli(['exec', name, 'sh', '-c', 'echo out; echo err >&2; echo $CONTAINER_VAR']));
    assert.equal(r.stdout, 'out\nc\n');
    assert.equal(r.stderr, 'err\n');
    const code = await ctx.cli(['exec', name, 'sh', '-c', 'exit 7']);
    assert.equal(code.code, 7);
    const stopped = ok(await ctx.cli(['create', '--name', `${name}-stopped`, ...NONE, 'busybox', 'true']));
    assert.ok(stopped.stdout);
    const notRunning = await ctx.cli(['exec', `${name}-stopped`, 'true']);
    assert.equal(notRunning.code, 1);
    assert.match(notRunning.stderr, /is not running/);
    const unknown = await ctx.cli(['exec', `${name}-nosuch`, 'true']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`No such container: ${name}-nosuch`));
  });

  it('exec -i passes piped stdin', async (name) => {
    await up(name);
    const r = ok(await ctx.cli(['exec', '-i', name, 'sh', '-c', 'cat; echo end'], { input: 'exec input\n' }));
    assert.equal(r.stdout, 'exec input\nend\n');
  });

  it('without a TTY stdin is data: the detach keys pass through exec -i and run -i', async (name) => {
    await up(name);
    const input = 'a\x10\x11b\n'; // ctrl-p ctrl-q in the middle
    assert.equal(ok(await ctx.cli(['exec', '-i', name, 'wc', '-c'], { input })).stdout.trim(), '5');
    assert.equal(ok(await ctx.cli(['run', '-i', '--rm', ...NONE, 'busybox', 'wc', '-c'], { input })).stdout.trim(), '5');
  });

  it('exec that cannot start (no such command, no such user): the message on the stream and exit code 126; -d: an API error', async (name) => {
    await up(name);
    for (const [cmd, why] of [['nosuch', 'executable file not found in $PATH'], ['/etc', 'permission denied']]) {
      const r = await ctx.cli(['exec', name, cmd]);
      assert.equal(r.code, 126, r.stdout + r.stderr);
      assert.equal(r.stdout, `OCI runtime exec failed: exec failed: unable to start container process: exec: "${cmd}": ${why}: unknown\r\n`);
    }
    const user = await ctx.cli(['exec', '-u', 'nosuch', name, 'true']);
    assert.equal(user.code, 126, user.stdout + user.stderr);
    assert.equal(user.stdout, 'unable to find user nosuch: no matching entries in passwd file\r\n');
    const d = await ctx.cli(['exec', '-d', name, 'nosuch']);
    assert.equal(d.code, 1);
    assert.match(d.stderr, /^Error response from daemon: OCI runtime exec failed: exec failed: .*executable file not found in \$PATH: unknown\n$/);
  });

  it('exec -t and -it under a pty', async (name) => {
    await up(name);
    const t = ok(await ctx.cli(['exec', '-t', name, 'tty'], { tty: true }));
    assert.match(t.stdout, /^\/dev\/pts\/\d+\r+\n$/);
    const it2 = await ctx.cli(['exec', '-it', name, 'sh', '-c', 'read x; echo "exec:$x"; exit 6'], { tty: true, input: 'typed\n' });
    assert.equal(it2.code, 6, it2.stdout + it2.stderr);
    assert.match(it2.stdout, /exec:typed\r\n/);
  });

  it('exec -e -w -u set environment, directory and user', async (name) => {
    await up(name, '-e', 'KEEP=kept');
    const e = ok(await ctx.cli(['exec', '-e', 'FOO=bar', '-e', 'KEEP=over', name, 'sh', '-c', 'echo "$FOO $KEEP"']));
    assert.equal(e.stdout, 'bar over\n');
    const w = ok(await ctx.cli(['exec', '-w', '/tmp', name, 'pwd']));
    assert.equal(w.stdout, '/tmp\n');
    const u = ok(await ctx.cli(['exec', '-u', '1000', name, 'id', '-u']));
    assert.equal(u.stdout, '1000\n');
    const nobody = ok(await ctx.cli(['exec', '-u', 'nobody', name, 'sh', '-c', 'echo $(id -u):$(id -g)']));
    assert.equal(nobody.stdout, '65534:65534\n');
  });

  it('exec -d runs in the background', async (name) => {
    await up(name);
    const r = ok(await ctx.cli(['exec', '-d', name, 'sh', '-c', 'sleep 0.3; echo done > /tmp/marker']));
    assert.equal(r.stdout, '');
    const out = await eventually('marker file', async () => {
      const c = await ctx.cli(['exec', name, 'cat', '/tmp/marker']);
      return c.code === 0 ? c.stdout : undefined;
    });
    assert.equal(out, 'done\n');
  });

  it('attach streams output and returns the exit code', async (name) => {
    ok(await ctx.cli(['run', '-d', '--name', name, ...NONE, 'busybox', 'sh', '-c',
      'while [ ! -f /tmp/go ]; do sleep 0.1; done; echo attached-out; echo attached-err >&2; exit 3']));
    const child = ctx.cli.spawn(['attach', name]);
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    const exit = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    // Give the attach time to connect before the container speaks.
    await new Promise((r) => setTimeout(r, 1500));
    ok(await ctx.cli(['exec', name, 'touch', '/tmp/go']));
    assert.equal(await exit, 3);
    assert.equal(out, 'attached-out\n');
    assert.equal(err, 'attached-err\n');
    const stopped = await ctx.cli(['attach', name]);
    assert.equal(stopped.code, 1);
    assert.match(stopped.stderr, /You cannot attach to a stopped container, start it first/);
  });

  it('attach sends stdin to a -i container', async (name) => {
    ok(await ctx.cli(['run', '-d', '-i', '--name', name, ...NONE, 'busybox', 'sh', '-c', 'read l; echo "got:$l"; exit 4']));
    const r = await ctx.cli(['attach', name], { input: 'hello attach\n' });
    // dockerd 20.10 ends the output stream once the client's stdin reaches EOF, so what the
    // container answers is read back from its log rather than from the attach itself.
    assert.equal(r.code, 4, r.stderr);
    assert.ok(r.stdout === '' || r.stdout === 'got:hello attach\n', r.stdout);
    assert.equal(ok(await ctx.cli(['logs', name])).stdout, 'got:hello attach\n');
    const s = inspectOne(await ctx.cli(['inspect', name])).State;
    assert.equal(s.ExitCode, 4);
  });

  it('events reports the container lifecycle with filters', async (name) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const id = await up(name, '--label', `bt.events=${name}`);
    ok(await ctx.cli(['stop', '-t', '1', name]));
    ok(await ctx.cli(['rm', name]));
    const until = Math.ceil(Date.now() / 1000) + 1;
    const ev = ok(await ctx.cli(['events', '--since', String(since), '--until', String(until), '--filter', `container=${name}`,
      '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{index .Actor.Attributes "name"}} {{index .Actor.Attributes "exitCode"}}']));
    const evs = lines(ev.stdout).map((l) => l.split(' '));
    const actions = evs.map((e) => e[1]);
    for (const a of ['create', 'start', 'kill', 'die', 'stop', 'destroy']) assert.ok(actions.includes(a), `no ${a} in ${ev.stdout}`);
    assert.ok(actions.indexOf('create') < actions.indexOf('start') && actions.indexOf('start') < actions.indexOf('die'));
    assert.ok(actions.indexOf('die') < actions.indexOf('destroy'));
    for (const e of evs) {
      assert.equal(e[0], 'container');
      assert.equal(e[2], id);
      assert.equal(e[3], name);
    }
    assert.equal(evs.find((e) => e[1] === 'die')![4], '137');
    const dieOnly = ok(await ctx.cli(['events', '--since', String(since), '--until', String(until), '--filter', `label=bt.events=${name}`,
      '--filter', 'event=die', '--filter', 'type=container', '--format', '{{.Action}}']));
    assert.equal(dieOnly.stdout, 'die\n');
    const json = ok(await ctx.cli(['events', '--since', String(since), '--until', String(until), '--filter', `container=${id}`, '--format', '{{json .}}']));
    const first = JSON.parse(lines(json.stdout)[0]!);
    for (const k of ['status', 'id', 'from', 'Type', 'Action', 'Actor', 'scope', 'time', 'timeNano']) assert.ok(k in first, `event lacks ${k}: ${lines(json.stdout)[0]}`);
  });

  it('events streams live and reports image tags', async (name) => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const child = ctx.cli.spawn(['events', '--filter', `container=${name}`, '--format', '{{.Type}} {{.Action}}']);
    try {
      await new Promise((r) => setTimeout(r, 500));
      ok(await ctx.cli(['run', '--rm', '--name', name, ...NONE, 'busybox', 'true']));
      const out = await waitForOutput(child, (o) => o.includes('container destroy'));
      const evs = lines(out);
      assert.ok(evs.indexOf('container start') > evs.indexOf('container create'), out);
      assert.ok(evs.indexOf('container die') > evs.indexOf('container start'), out);
    } finally {
      child.kill();
    }
    ok(await ctx.cli(['tag', 'busybox', `${name}:tagged`]));
    ok(await ctx.cli(['rmi', `${name}:tagged`]));
    const until = Math.ceil(Date.now() / 1000) + 1;
    const img = ok(await ctx.cli(['events', '--since', String(since), '--until', String(until), '--filter', 'type=image',
      '--filter', `image=${name}:tagged`, '--format', '{{.Action}} {{index .Actor.Attributes "name"}}']));
    assert.equal(lines(img.stdout)[0], `tag ${name}:tagged`, img.stdout);
  });
}
