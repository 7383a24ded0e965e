/** The part of the npm package dns-packet (no bundled types) that the resolver uses. */
declare module 'dns-packet' {
  export interface Question { type: string; name: string; class?: string }
  export interface Answer { type: string; name: string; ttl?: number; class?: string; data: unknown }
  export interface Packet {
    id?: number;
    type?: 'query' | 'response';
    flags?: number;
    rcode?: string;
    questions?: Question[];
    answers?: Answer[];
    authorities?: Answer[];
    additionals?: Answer[];
  }
  export function decode(buf: Buffer): Packet;
  export function encode(p: Packet): Buffer;
  export const RECURSION_DESIRED: number;
  export const RECURSION_AVAILABLE: number;
  export const AUTHORITATIVE_ANSWER: number;
}
