/**
 * Distribution conformance, written from the OCI distribution spec's pull, push,
 * content-discovery and content-management categories, plus bad input. Raw HTTP; the same
 * tests run against `berth registry serve` and the reference registry (Debian
 * docker-registry); checks the reference does not implement (referrers, the 4 MiB limit,
 * NAME_INVALID for path tricks) run against berth only.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { REFERENCE_BIN, rawRequest, sha256, startBerthRegistry, startReference, storedBlobs, type RunningRegistry } from './lib';

const targets: ('berth' | 'reference')[] = fs.existsSync(REFERENCE_BIN) ? ['berth', 'reference'] : ['berth'];

async function code(r: Response): Promise<string> {
  const j = (await r.json()) as { errors: { code: string }[] };
  assert.ok(Array.isArray(j.errors) && j.errors.length > 0, 'error body has errors[]');
  return j.errors[0].code;
}

for (const t of targets) {
  describe(`distribution conformance: ${t}`, () => {
    let reg: RunningRegistry;
    let u: string;
    const repo = 'conf/repo-a';
    const config = Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
    const layer = Buffer.from('layer bytes '.repeat(1000));
    const manifestFor = (cfg: Buffer, layers: Buffer[], extra: Record<string, unknown> = {}) => Buffer.from(JSON.stringify({
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(cfg), size: cfg.length },
      layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })), ...extra,
    }));
    const MT = { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' };
    /** Single POST with the digest; a registry may answer 202 instead (then: PUT to the session), as the spec allows. */
    const pushBlob = async (name: string, b: Buffer, digest = sha256(b)) => {
      const r = await fetch(`${u}/v2/${name}/blobs/uploads/?digest=${digest}`, { method: 'POST', body: b, headers: { 'Content-Type': 'application/octet-stream' } });
      if (r.status !== 202) return r;
      const loc = new URL(r.headers.get('location') ?? '', u).toString();
      return fetch(`${loc}${loc.includes('?') ? '&' : '?'}digest=${digest}`, { method: 'PUT', body: b, headers: { 'Content-Type': 'application/octet-stream' } });
    };

    before(async () => { reg = t === 'berth' ? await startBerthRegistry() : await startReference(); u = reg.url; });
    after(async () => { await reg.stop(); });

    it('GET /v2/ answers 200 with the API version header', async () => {
      const r = await fetch(`${u}/v2/`);
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('docker-distribution-api-version'), 'registry/2.0');
    });

    it('push: monolithic POST with digest, then HEAD and GET the blob (and a Range)', async () => {
      const r = await pushBlob(repo, config);
      assert.equal(r.status, 201);
      assert.ok(r.headers.get('location'));
      const h = await fetch(`${u}/v2/${repo}/blobs/${sha256(config)}`, { method: 'HEAD' });
      assert.equal(h.status, 200);
      assert.equal(h.headers.get('content-length'), String(config.length));
      assert.equal(h.headers.get('docker-content-digest'), sha256(config));
      const g = await fetch(`${u}/v2/${repo}/blobs/${sha256(config)}`);
      assert.deepEqual(Buffer.from(await g.arrayBuffer()), config);
      assert.equal((await fetch(`${u}/v2/conf/unrelated/blobs/${sha256(config)}`, { method: 'HEAD' })).status, 404, 'blobs are per repository');
      const rg = await fetch(`${u}/v2/${repo}/blobs/${sha256(config)}`, { headers: { Range: 'bytes=2-5' } });
      assert.equal(rg.status, 206);
      assert.equal(await rg.text(), config.subarray(2, 6).toString());
    });

    it('push: POST, PATCH chunks with Content-Range, GET status, PUT with digest', async () => {
      const p = await fetch(`${u}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      assert.equal(p.status, 202);
      let loc = new URL(p.headers.get('location') ?? '', u).toString();
      const half = 5000;
      const c1 = await fetch(loc, { method: 'PATCH', body: layer.subarray(0, half), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${half - 1}` } });
      assert.equal(c1.status, 202);
      assert.equal(c1.headers.get('range'), `0-${half - 1}`);
      loc = new URL(c1.headers.get('location') ?? '', u).toString();
      if (t === 'berth') {
        // the spec answers 416 to an out-of-order chunk; the reference registry (2.8) appends it anyway
        const bad = await fetch(loc, { method: 'PATCH', body: layer.subarray(half), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${half + 10}-${layer.length + 9}` } });
        assert.equal(bad.status, 416, 'an out-of-order chunk is 416');
      }
      const st = await fetch(loc);
      assert.equal(st.status, 204);
      assert.equal(st.headers.get('range'), `0-${half - 1}`);
      const c2 = await fetch(loc, { method: 'PATCH', body: layer.subarray(half), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${half}-${layer.length - 1}` } });
      assert.equal(c2.status, 202);
      loc = new URL(c2.headers.get('location') ?? '', u).toString();
      const done = await fetch(`${loc}${loc.includes('?') ? '&' : '?'}digest=${sha256(layer)}`, { method: 'PUT' });
      assert.equal(done.status, 201);
      assert.equal(done.headers.get('docker-content-digest'), sha256(layer));
    });

    it('push + pull: manifest by tag; GET and HEAD by tag and digest', async () => {
      const m = manifestFor(config, [layer]);
      const r = await fetch(`${u}/v2/${repo}/manifests/v1`, { method: 'PUT', body: m, headers: MT });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('docker-content-digest'), sha256(m));
      for (const ref of ['v1', sha256(m)]) {
        const g = await fetch(`${u}/v2/${repo}/manifests/${ref}`, { headers: { Accept: MT['Content-Type'] } });
        assert.equal(g.status, 200);
        assert.equal(g.headers.get('content-type'), MT['Content-Type']);
        assert.equal(g.headers.get('docker-content-digest'), sha256(m));
        assert.deepEqual(Buffer.from(await g.arrayBuffer()), m);
        const h = await fetch(`${u}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { Accept: MT['Content-Type'] } });
        assert.equal(h.status, 200);
        assert.equal(h.headers.get('content-length'), String(m.length));
      }
    });

    it('pull: unknown manifest and blob are 404 MANIFEST_UNKNOWN / BLOB_UNKNOWN', async () => {
      const m = await fetch(`${u}/v2/${repo}/manifests/nope`);
      assert.equal(m.status, 404);
      assert.equal(await code(m), 'MANIFEST_UNKNOWN');
      const b = await fetch(`${u}/v2/${repo}/blobs/${sha256('nothing')}`);
      assert.equal(b.status, 404);
      assert.equal(await code(b), 'BLOB_UNKNOWN');
    });

    it('push: cross-repository mount', async () => {
      const r = await fetch(`${u}/v2/conf/repo-b/blobs/uploads/?mount=${sha256(layer)}&from=${repo}`, { method: 'POST' });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('docker-content-digest'), sha256(layer));
      assert.equal((await fetch(`${u}/v2/conf/repo-b/blobs/${sha256(layer)}`, { method: 'HEAD' })).status, 200);
    });

    it('content discovery: tags/list with n/last and a Link header; _catalog pagination', async () => {
      const m = manifestFor(config, [layer]);
      for (const tag of ['v2', 'v3', 'a0']) assert.equal((await fetch(`${u}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: m, headers: MT })).status, 201);
      const all = (await (await fetch(`${u}/v2/${repo}/tags/list`)).json()) as { name: string; tags: string[] };
      // the spec wants lexical order; the reference registry (2.8) sorts only when paginating
      assert.deepEqual({ ...all, tags: t === 'berth' ? all.tags : [...all.tags].sort() }, { name: repo, tags: ['a0', 'v1', 'v2', 'v3'] });
      if (t === 'berth') { // the reference registry (2.8) ignores n/last on tags/list
        const p1 = await fetch(`${u}/v2/${repo}/tags/list?n=2`);
        assert.deepEqual(((await p1.json()) as { tags: string[] }).tags, ['a0', 'v1']);
        assert.match(p1.headers.get('link') ?? '', /last=v1.*rel="next"/);
        const p2 = await fetch(`${u}/v2/${repo}/tags/list?n=2&last=v1`);
        assert.deepEqual(((await p2.json()) as { tags: string[] }).tags, ['v2', 'v3']);
      }
      assert.equal((await fetch(`${u}/v2/${repo}-zzz/tags/list`)).status, 404);
      // repo-c gets a manifest so that the catalog has three repositories
      await pushBlob('conf/repo-c', config); await pushBlob('conf/repo-c', layer);
      assert.equal((await fetch(`${u}/v2/conf/repo-c/manifests/x`, { method: 'PUT', body: m, headers: MT })).status, 201);
      const c1 = await fetch(`${u}/v2/_catalog?n=1`);
      assert.deepEqual(((await c1.json()) as { repositories: string[] }).repositories, ['conf/repo-a']);
      assert.match(c1.headers.get('link') ?? '', /rel="next"/);
      const c2 = await fetch(`${u}/v2/_catalog?n=5&last=conf/repo-a`);
      assert.ok(((await c2.json()) as { repositories: string[] }).repositories.includes('conf/repo-c'));
    });

    it('bad input: wrong digest (monolithic and chunked) is DIGEST_INVALID and stores nothing', async () => {
      const data = Buffer.from('some bytes that do not match');
      const wrong = sha256('other');
      const r = await pushBlob(repo, data, wrong);
      assert.equal(r.status, 400);
      assert.equal(await code(r), 'DIGEST_INVALID');
      const p = await fetch(`${u}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
      const loc = new URL(p.headers.get('location') ?? '', u).toString();
      const put = await fetch(`${loc}${loc.includes('?') ? '&' : '?'}digest=${wrong}`, { method: 'PUT', body: data, headers: { 'Content-Type': 'application/octet-stream' } });
      assert.equal(put.status, 400);
      assert.equal(await code(put), 'DIGEST_INVALID');
      for (const d of [wrong, sha256(data)]) assert.equal((await fetch(`${u}/v2/${repo}/blobs/${d}`, { method: 'HEAD' })).status, 404);
    });

    it('bad input: manifest naming a missing blob is MANIFEST_BLOB_UNKNOWN and not stored', async () => {
      const m = manifestFor(config, [Buffer.from('never pushed')]);
      const r = await fetch(`${u}/v2/${repo}/manifests/broken`, { method: 'PUT', body: m, headers: MT });
      assert.equal(r.status, 400);
      assert.equal(await code(r), 'MANIFEST_BLOB_UNKNOWN');
      assert.equal((await fetch(`${u}/v2/${repo}/manifests/broken`)).status, 404);
      assert.equal((await fetch(`${u}/v2/${repo}/manifests/${sha256(m)}`)).status, 404);
    });

    it('bad input: manifest PUT by a digest that does not match is DIGEST_INVALID', async () => {
      const m = manifestFor(config, [layer], { annotations: { x: 'y' } });
      const r = await fetch(`${u}/v2/${repo}/manifests/${sha256('other')}`, { method: 'PUT', body: m, headers: MT });
      assert.equal(r.status, 400);
      assert.equal(await code(r), 'DIGEST_INVALID');
      assert.equal((await fetch(`${u}/v2/${repo}/manifests/${sha256(m)}`)).status, 404);
    });

    it('bad input: a truncated monolithic upload leaves no blob', async () => {
      const data = Buffer.alloc(100_000, 7);
      const d = sha256(data);
      await rawRequest(reg.port, `POST /v2/${repo}/blobs/uploads/?digest=${d} HTTP/1.1\nHost: x\nContent-Type: application/octet-stream\nContent-Length: ${data.length}\n`, data.subarray(0, 40_000), true);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await fetch(`${u}/v2/${repo}/blobs/${d}`, { method: 'HEAD' })).status, 404);
      if (t === 'berth') assert.ok(!storedBlobs(reg.root).includes(d));
    });

    it('content management: DELETE manifest by digest, DELETE blob', async () => {
      const m = manifestFor(config, [layer]);
      const r = await fetch(`${u}/v2/${repo}/manifests/${sha256(m)}`, { method: 'DELETE' });
      assert.equal(r.status, 202);
      assert.equal((await fetch(`${u}/v2/${repo}/manifests/${sha256(m)}`)).status, 404);
      assert.equal((await fetch(`${u}/v2/${repo}/manifests/v1`)).status, 404, 'tags of a deleted manifest are gone');
      const b = await fetch(`${u}/v2/${repo}/blobs/${sha256(layer)}`, { method: 'DELETE' });
      assert.equal(b.status, 202);
      assert.equal((await fetch(`${u}/v2/${repo}/blobs/${sha256(layer)}`, { method: 'HEAD' })).status, 404);
      assert.equal((await fetch(`${u}/v2/conf/repo-b/blobs/${sha256(layer)}`, { method: 'HEAD' })).status, 200, 'other repositories keep it');
    });

    if (t !== 'berth') return;

    it('bad input: invalid names and path tricks are NAME_INVALID', async () => {
      for (const name of ['UPPER/case', 'a/../b', 'a/%2e%2e/b', '-lead', 'a//b', 'a/./b']) {
        const r = await rawRequest(reg.port, `GET /v2/${name}/tags/list HTTP/1.1\nHost: x\nConnection: close\n`);
        assert.equal(r.status, 400, `${name}: ${r.text}`);
        assert.match(r.text, /NAME_INVALID/);
      }
      const bad = await fetch(`${u}/v2/${repo}/blobs/sha256:../../etc`);
      assert.ok(bad.status === 400 || bad.status === 404);
    });

    it('bad input: a manifest over 4 MiB is refused (413) and not stored', async () => {
      const big = manifestFor(config, [layer], { annotations: { pad: 'x'.repeat(4 * 1024 * 1024) } });
      const r = await fetch(`${u}/v2/${repo}/manifests/big`, { method: 'PUT', body: big, headers: MT });
      assert.equal(r.status, 413);
      assert.equal((await fetch(`${u}/v2/${repo}/manifests/big`)).status, 404);
      assert.ok(!storedBlobs(reg.root).includes(sha256(big)));
    });

    it('referrers: a manifest with a subject is listed, filtered by artifactType', async () => {
      const name = 'conf/refs';
      const empty = Buffer.from('{}');
      await pushBlob(name, config); await pushBlob(name, layer); await pushBlob(name, empty);
      const subject = manifestFor(config, [layer]);
      assert.equal((await fetch(`${u}/v2/${name}/manifests/s`, { method: 'PUT', body: subject, headers: MT })).status, 201);
      const art = Buffer.from(JSON.stringify({
        schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.example.sig',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(empty), size: 2 }, layers: [],
        subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: sha256(subject), size: subject.length },
      }));
      const r = await fetch(`${u}/v2/${name}/manifests/${sha256(art)}`, { method: 'PUT', body: art, headers: MT });
      assert.equal(r.status, 201);
      assert.equal(r.headers.get('oci-subject'), sha256(subject));
      const l = await fetch(`${u}/v2/${name}/referrers/${sha256(subject)}`);
      assert.equal(l.headers.get('content-type'), 'application/vnd.oci.image.index.v1+json');
      const idx = (await l.json()) as { manifests: { digest: string; artifactType: string }[] };
      assert.deepEqual(idx.manifests.map((d) => [d.digest, d.artifactType]), [[sha256(art), 'application/vnd.example.sig']]);
      const f = await fetch(`${u}/v2/${name}/referrers/${sha256(subject)}?artifactType=application/other`);
      assert.equal(f.headers.get('oci-filters-applied'), 'artifactType');
      assert.deepEqual(((await f.json()) as { manifests: unknown[] }).manifests, []);
    });
  });
}
