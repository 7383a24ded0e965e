import { randomBytes, createHash } from 'node:crypto';

/** A 64-hex-character id like Docker's container and exec ids. */
export const newId = (): string => randomBytes(32).toString('hex');
export const shortId = (id: string): string => id.replace(/^sha256:/, '').slice(0, 12);
export const sha256Hex = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');
export const sha256Digest = (data: string | Buffer): string => `sha256:${sha256Hex(data)}`;
