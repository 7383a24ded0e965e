import { EventEmitter } from 'node:events';
import type { EventMessage } from '../api/types';

/**
 * The events bus: every state change is published here and streamed by GET /events.
 * A bounded in-memory history serves `since` for recent events.
 */
export class EventBus {
  private emitter = new EventEmitter();
  private history: EventMessage[] = [];
  constructor(private readonly keep = 1000) { this.emitter.setMaxListeners(0); }

  publish(type: string, action: string, id: string, attributes: Record<string, string> = {}): EventMessage {
    const now = process.hrtime.bigint();
    const wallNs = BigInt(Date.now()) * 1_000_000n + (now % 1_000_000n);
    const ev: EventMessage = {
      Type: type,
      Action: action,
      Actor: { ID: id, Attributes: attributes },
      scope: 'local',
      time: Number(wallNs / 1_000_000_000n),
      timeNano: Number(wallNs),
    };
    if (type === 'container' || type === 'image') {
      ev.status = action;
      ev.id = id;
      if (type === 'container' && attributes.image) ev.from = attributes.image;
    }
    this.history.push(ev);
    if (this.history.length > this.keep) this.history.splice(0, this.history.length - this.keep);
    this.emitter.emit('event', ev);
    return ev;
  }

  /** Past events (oldest first) then live ones through `cb`; returns an unsubscribe function. */
  subscribe(cb: (ev: EventMessage) => void): { past: EventMessage[]; unsubscribe: () => void } {
    this.emitter.on('event', cb);
    return { past: [...this.history], unsubscribe: () => this.emitter.off('event', cb) };
  }
}
