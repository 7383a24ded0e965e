/**
 * `context export/import` archives in docker's format: a tar of `meta.json` and
 * `tls/docker/{ca,cert,key}.pem`. docker 28 writes its archive without the two closing
 * zero blocks, so the reader here accepts a tar that simply stops after its last entry.
 */
import * as tarStream from 'tar-stream';
import { ContextError, TLS_FILES, type ContextMeta, type ContextStore, type TlsFile } from './store';
import * as fs from 'node:fs';

export async function exportContext(store: ContextStore, name: string): Promise<Buffer> {
  const meta = store.get(name);
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve, reject) => { pack.on('end', resolve); pack.on('error', reject); });
  const entry = (h: Partial<tarStream.Header> & { name: string }, data: Buffer = Buffer.alloc(0)) =>
    new Promise<void>((resolve, reject) => { pack.entry(h as tarStream.Header, data, (err) => (err ? reject(err) : resolve())); });
  await entry({ name: 'meta.json', mode: 0o644, mtime: new Date(0) }, Buffer.from(JSON.stringify(meta)));
  const files = store.tlsFiles(name);
  if (Object.keys(files).length) {
    await entry({ name: 'tls', type: 'directory', mode: 0o700, mtime: new Date(0) });
    await entry({ name: 'tls/docker', type: 'directory', mode: 0o700, mtime: new Date(0) });
    for (const [f, p] of Object.entries(files)) {
      await entry({ name: `tls/docker/${f}`, mode: 0o600, mtime: new Date(0) }, fs.readFileSync(p));
    }
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** Pads a tar that ends without its closing blocks, so a strict reader accepts it. */
function closeTar(data: Buffer): Buffer {
  const padded = data.length % 512 ? Buffer.concat([data, Buffer.alloc(512 - (data.length % 512))]) : data;
  return Buffer.concat([padded, Buffer.alloc(1024)]);
}

export async function importContext(store: ContextStore, name: string, data: Buffer): Promise<void> {
  const extract = tarStream.extract();
  let meta: ContextMeta | undefined;
  const tls: Partial<Record<TlsFile, Buffer>> = {};
  const finished = new Promise<void>((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      const parts: Buffer[] = [];
      stream.on('data', (c: unknown) => { parts.push(c as Buffer); });
      stream.on('end', () => {
        const body = Buffer.concat(parts);
        const n = header.name.replace(/^\.\//, '');
        if (n === 'meta.json') {
          try { meta = JSON.parse(body.toString('utf8')) as ContextMeta; } catch (e) {
            reject(new ContextError(`invalid context archive: meta.json: ${(e as Error).message}`));
          }
        } else if (header.type === 'file' && n.startsWith('tls/docker/')) {
          const f = n.slice('tls/docker/'.length);
          if ((TLS_FILES as readonly string[]).includes(f)) tls[f as TlsFile] = body;
        }
        next();
      });
      stream.resume();
    });
    extract.on('finish', resolve);
    extract.on('error', (e) => reject(new ContextError(`invalid context archive: ${e.message}`)));
  });
  extract.end(closeTar(data));
  await finished;
  if (!meta) throw new ContextError('invalid context archive: no meta.json');
  meta.Name = name;
  store.save(meta, tls);
}
