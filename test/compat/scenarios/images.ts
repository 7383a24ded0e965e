/** version, info, import, images, tag, rmi, history, image inspect. */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { busyboxTar } from '../../integration/harness';
import { Ctx, HEX12, HEX64, ScenarioTools, columns, inspectOne, lines, ok } from '../lib/suite';

export function imageScenarios(ctx: Ctx, { it }: ScenarioTools): void {
  const tar = () => fs.readFileSync(busyboxTar());

  it('version prints client and server', async () => {
    const r = ok(await ctx.cli(['version']));
    assert.match(r.stdout, /^Client:/m);
    assert.match(r.stdout, /^Server:/m);
    assert.match(r.stdout, /API version:\s+\d+\.\d+/);
    const api = ok(await ctx.cli(['version', '--format', '{{.Server.APIVersion}}']));
    assert.equal(api.stdout.trim(), ctx.apiVersion);
    assert.match(api.stdout, /^\d+\.\d+\n$/);
    if (ctx.target === 'berth') assert.equal(api.stdout, '1.50\n');
    const os = ok(await ctx.cli(['version', '--format', '{{.Server.Os}}/{{.Server.Arch}}']));
    assert.equal(os.stdout, 'linux/amd64\n');
  });

  it('info prints real figures', async () => {
    const r = ok(await ctx.cli(['info']));
    for (const key of ['Containers:', 'Images:', 'Server Version:', 'Storage Driver:', 'Cgroup Driver:', 'Kernel Version:', 'Docker Root Dir:']) {
      assert.ok(r.stdout.includes(key), `info lacks ${key}:\n${r.stdout}`);
    }
    const f = ok(await ctx.cli(['info', '--format', '{{.OSType}} {{.Images}} {{.DockerRootDir}} {{.NCPU}}']));
    const [osType, images, root, ncpu] = f.stdout.trim().split(' ');
    assert.equal(osType, 'linux');
    assert.ok(Number(images) >= 1, `Images ${images}`);
    assert.equal(root, ctx.daemon.dataRoot);
    assert.ok(Number(ncpu) >= 1);
  });

  it('import prints the image id and applies changes and message', async (name) => {
    const r = ok(await ctx.cli(['import', '-c', 'ENV FOO=bar', '-c', 'CMD ["sh"]', '-c', 'WORKDIR /tmp', '-m', 'made by test', '-', `${name}:v1`], { input: tar() }));
    assert.match(r.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const img = inspectOne(await ctx.cli(['image', 'inspect', `${name}:v1`]));
    assert.equal(img.Id, r.stdout.trim());
    assert.deepEqual(img.RepoTags, [`${name}:v1`]);
    assert.deepEqual(img.Config.Cmd, ['sh']);
    assert.ok(img.Config.Env.includes('FOO=bar'), JSON.stringify(img.Config.Env));
    assert.equal(img.Config.WorkingDir, '/tmp');
    assert.equal(img.Comment, 'made by test');
    assert.equal(img.Os, 'linux');
    assert.equal(img.Architecture, 'amd64');
    assert.equal(img.RootFS.Type, 'layers');
    assert.equal(img.RootFS.Layers.length, 1);
    assert.ok(img.Size > 500_000, `Size ${img.Size}`);
    const run = ok(await ctx.cli(['run', '--rm', '--network', 'none', `${name}:v1`, 'sh', '-c', 'echo $FOO $(pwd)']));
    assert.equal(run.stdout, 'bar /tmp\n');
  });

  it('import of a broken tar fails and leaves no image', async (name) => {
    const r = await ctx.cli(['import', '-', `${name}:bad`], { input: Buffer.from('this is not a tar archive at all\n'.repeat(64)) });
    assert.notEqual(r.code, 0);
    const imgs = ok(await ctx.cli(['images', '-q', name]));
    assert.equal(imgs.stdout, '');
  });

  it('images lists repository, tag, id, created and size', async (name) => {
    ok(await ctx.cli(['tag', 'busybox:latest', `${name}:one`]));
    const r = ok(await ctx.cli(['images']));
    const rows = lines(r.stdout);
    assert.deepEqual(columns(rows[0]!), ['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE']);
    const row = rows.find((l) => l.startsWith(name + ' '));
    assert.ok(row, r.stdout);
    const [repo, tag, id, created, size] = columns(row!);
    assert.equal(repo, name);
    assert.equal(tag, 'one');
    assert.match(id!, HEX12);
    assert.match(created!, /ago$|^About|^Less than/);
    assert.match(size!, /^\d+(\.\d+)?[kMG]?B$/);
    const q = ok(await ctx.cli(['images', '-q', name]));
    assert.deepEqual(lines(q.stdout), [id]);
    const f = ok(await ctx.cli(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', name]));
    assert.equal(f.stdout, `${name}:one ${id}\n`);
    const nt = ok(await ctx.cli(['images', '-q', '--no-trunc', name]));
    assert.match(nt.stdout.trim(), /^sha256:[0-9a-f]{64}$/);
    const filt = ok(await ctx.cli(['images', '--filter', `reference=${name}:*`, '--format', '{{.Tag}}']));
    assert.equal(filt.stdout, 'one\n');
  });

  it('tag adds a name for the same image', async (name) => {
    const t = ok(await ctx.cli(['tag', 'busybox', `${name}/sub:v2`]));
    assert.equal(t.stdout, '');
    const a = inspectOne(await ctx.cli(['image', 'inspect', 'busybox:latest']));
    const b = inspectOne(await ctx.cli(['image', 'inspect', `${name}/sub:v2`]));
    assert.equal(a.Id, b.Id);
    assert.ok(b.RepoTags.includes('busybox:latest') && b.RepoTags.includes(`${name}/sub:v2`), JSON.stringify(b.RepoTags));
    const bad = await ctx.cli(['tag', `${name}-nosuch:latest`, `${name}:x`]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`No such image: ${name}-nosuch:latest`));
    const invalid = await ctx.cli(['tag', 'busybox', `${name}:BAD TAG`]);
    assert.notEqual(invalid.code, 0);
  });

  it('rmi untags, deletes, and refuses images in use', async (name) => {
    ok(await ctx.cli(['tag', 'busybox', `${name}:a`]));
    const untag = ok(await ctx.cli(['rmi', `${name}:a`]));
    assert.equal(untag.stdout, `Untagged: ${name}:a\n`);
    const imp = ok(await ctx.cli(['import', '-', `${name}:own`], { input: tar() }));
    const id = imp.stdout.trim();
    ok(await ctx.cli(['create', '--name', `${name}-user`, '--network', 'none', `${name}:own`, 'true']));
    const refused = await ctx.cli(['rmi', `${name}:own`]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /conflict: unable to remove repository reference .* \(must force\) - container [0-9a-f]{12} is using its referenced image [0-9a-f]{12}/);
    ok(await ctx.cli(['rm', `${name}-user`]));
    const del = ok(await ctx.cli(['rmi', `${name}:own`]));
    assert.ok(del.stdout.includes(`Untagged: ${name}:own\n`), del.stdout);
    assert.ok(del.stdout.includes(`Deleted: ${id}\n`), del.stdout);
    const gone = await ctx.cli(['image', 'inspect', id]);
    assert.equal(gone.code, 1);
    const unknown = await ctx.cli(['rmi', `${name}-nosuch`]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, new RegExp(`Error response from daemon: No such image: ${name}-nosuch:latest`));
  });

  it('history shows the import layer', async (name) => {
    ok(await ctx.cli(['import', '-m', 'hist msg', '-', `${name}:h`], { input: tar() }));
    const r = ok(await ctx.cli(['history', `${name}:h`]));
    const rows = lines(r.stdout);
    assert.deepEqual(columns(rows[0]!), ['IMAGE', 'CREATED', 'CREATED BY', 'SIZE', 'COMMENT']);
    assert.equal(rows.length, 2, r.stdout);
    const f = ok(await ctx.cli(['history', '--format', '{{.Comment}}|{{.Size}}', `${name}:h`]));
    const [comment, size] = f.stdout.trim().split('|');
    assert.equal(comment, 'hist msg');
    assert.match(size!, /^\d+(\.\d+)?[kM]?B$/);
    const q = ok(await ctx.cli(['history', '-q', `${name}:h`]));
    assert.match(q.stdout.trim(), HEX12);
  });

  it('inspect shows an image and reports unknown objects', async (name) => {
    const img = inspectOne(await ctx.cli(['inspect', 'busybox']));
    assert.match(img.Id, /^sha256:[0-9a-f]{64}$/);
    assert.ok(img.RepoTags.includes('busybox:latest'));
    assert.deepEqual(img.Config.Cmd, ['sh']);
    for (const k of ['Id', 'RepoTags', 'RepoDigests', 'Created', 'Config', 'Architecture', 'Os', 'Size', 'RootFS', 'Metadata']) {
      assert.ok(k in img, `image inspect lacks ${k}`);
    }
    const f = ok(await ctx.cli(['inspect', '--type', 'image', '--format', '{{.Id}} {{index .RepoTags 0}}', 'busybox:latest']));
    assert.match(f.stdout, /^sha256:[0-9a-f]{64} \S+\n$/);
    assert.match(img.Id.slice(7), HEX64);
    const none = await ctx.cli(['inspect', `${name}-nosuch`]);
    assert.equal(none.code, 1);
    assert.equal(none.stdout.trim(), '[]');
    assert.match(none.stderr, new RegExp(`Error: No such object: ${name}-nosuch`));
  });
}
