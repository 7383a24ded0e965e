import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';

/**
 * The WebSocket side of `GET /containers/{id}/attach/ws` (RFC 6455, through the `ws`
 * package): the handshake on an upgraded request, then the connection as a byte stream.
 * What the daemon writes goes out as one message per write, binary frames, or text
 * frames for clients before API 1.28 (as dockerd); every message the client sends is
 * read as bytes, text or binary alike. A close from either side ends the stream.
 */
const server = new WebSocketServer({ noServer: true, perMessageDeflate: false });

export function isWebSocketHandshake(req: IncomingMessage): boolean {
  return (req.headers.upgrade ?? '').toLowerCase() === 'websocket';
}

export function acceptWebSocket(req: IncomingMessage, socket: Socket, head: Buffer, binary: boolean): Promise<Duplex> {
  return new Promise((resolve) => server.handleUpgrade(req, socket, head, (ws) => resolve(new WebSocketStream(ws, binary))));
}

class WebSocketStream extends Duplex {
  constructor(private readonly ws: WebSocket, private readonly binary: boolean) {
    super({ allowHalfOpen: false });
    ws.on('message', (data: RawData) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (!this.push(buf)) ws.pause();
    });
    // the client's close is the end of its input (stdin EOF); the writable side follows (allowHalfOpen: false)
    ws.on('close', () => this.push(null));
    ws.on('error', (e) => this.destroy(e));
  }

  override _read(): void { this.ws.resume(); }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.ws.readyState !== WebSocket.OPEN) { cb(); return; }
    this.ws.send(chunk, { binary: this.binary }, (e) => cb(e ?? null));
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    cb();
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    cb(err);
  }
}
