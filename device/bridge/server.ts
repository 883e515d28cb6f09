import { EventEmitter } from 'node:events';
import { chmod, mkdir, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import {
  type AgentMessage,
  type AppMessage,
  BRIDGE_SOCKET_NAME,
  encodeFrame,
  FrameDecoder,
  MAX_FRAME_BYTES,
  parseAppMessage,
} from '../../sdk/bridge-client/index.js';
import { type LeaseEvent, type LeasePolicy, LeaseTable } from './lease-table.js';
import type { Resource } from './resource.js';

/** One app container's end of the bridge: its own socket, so its identity is where it connects. */
export interface SlotSpec {
  id: string;
  app: string;
  version: string;
  /** Folder bind-mounted into the container; the socket is created inside it. */
  dir: string;
  /** Tells the app, in the welcome, that it starts as the incoming side of a hand-over. */
  handover?: boolean;
}

interface Slot extends SlotSpec {
  server: Server;
  socket?: Socket;
  lock?: { reason: string; since: number };
  health?: { ok: boolean; detail?: string };
  /** Resources this app asked for (and did not give back voluntarily). */
  requested: Set<string>;
}

/** Bytes queued towards a slow app beyond which resource events (camera frames) are dropped. */
const MAX_QUEUED_EVENT_BYTES = 4 << 20;

/**
 * The agent's side of the bridge. Events: 'lease' (LeaseEvent), 'complete' (slotId),
 * 'lock' (slotId, reason | undefined), 'health' (slotId, ok, detail), 'connect' (slotId),
 * 'disconnect' (slotId), 'protocol-error' (slotId, message).
 */
export class BridgeServer extends EventEmitter {
  readonly leases = new LeaseTable();
  private readonly slots = new Map<string, Slot>();
  private readonly resources = new Map<string, Resource>();
  private readonly lastHolder = new Map<string, string | undefined>();

  constructor(
    resources: Resource[],
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
  ) {
    super();
    for (const r of resources) {
      this.resources.set(r.name, r);
      r.attach((d) => this.toHolder(r.name, d));
    }
  }

  /** Creates the slot's socket (replacing a stale one left by a previous agent) and listens. */
  async openSlot(spec: SlotSpec): Promise<string> {
    const old = this.slots.get(spec.id);
    if (old) {
      old.handover = spec.handover;
      return join(old.dir, BRIDGE_SOCKET_NAME);
    }
    await mkdir(spec.dir, { recursive: true });
    const path = join(spec.dir, BRIDGE_SOCKET_NAME);
    await rm(path, { force: true });
    const server = createServer((s) => this.onConnection(slot, s));
    const slot: Slot = { ...spec, server, requested: new Set() };
    this.slots.set(spec.id, slot);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    // Apps in containers may run as another user than the agent.
    await chmod(path, 0o666);
    return path;
  }

  async closeSlot(id: string): Promise<void> {
    const slot = this.slots.get(id);
    if (!slot) return;
    this.slots.delete(id);
    slot.socket?.destroy();
    this.apply(this.leases.drop(id));
    await new Promise<void>((r) => slot.server.close(() => r()));
    await rm(join(slot.dir, BRIDGE_SOCKET_NAME), { force: true });
  }

  setPolicy(policy: LeasePolicy): void {
    this.apply(this.leases.setPolicy(policy));
  }

  /** Hand-over timeout: leases of `from` that someone waits for move now, state or not. */
  takeOver(from: string): void {
    this.apply(this.leases.takeOver(from, 'hand-over timed out'));
  }

  isConnected(id: string): boolean {
    const s = this.slots.get(id)?.socket;
    return s !== undefined && !s.destroyed;
  }

  /** What the app in this slot asked for: the health check's measure of 'took over'. */
  requestedBy(id: string): string[] {
    return [...(this.slots.get(id)?.requested ?? [])];
  }

  lockOf(id: string): { reason: string; since: number } | undefined {
    return this.slots.get(id)?.lock;
  }

  healthOf(id: string): { ok: boolean; detail?: string } | undefined {
    return this.slots.get(id)?.health;
  }

  async close(): Promise<void> {
    for (const id of [...this.slots.keys()]) await this.closeSlot(id);
    for (const r of this.resources.values()) await r.close?.();
  }

  private onConnection(slot: Slot, socket: Socket): void {
    const decoder = new FrameDecoder(this.maxFrameBytes);
    let greeted = false;
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      let raws: unknown[];
      try {
        raws = decoder.push(chunk);
      } catch (e) {
        this.protocolError(slot, socket, (e as Error).message, true);
        return;
      }
      for (const raw of raws) {
        let m: AppMessage;
        try {
          m = parseAppMessage(raw);
        } catch (e) {
          this.protocolError(slot, socket, (e as Error).message, false);
          continue;
        }
        if (!greeted) {
          if (m.t !== 'hello') {
            this.protocolError(slot, socket, 'the first message must be hello', true);
            return;
          }
          greeted = true;
          // A reconnecting app replaces its previous connection; its leases stay with the slot.
          const previous = slot.socket;
          slot.socket = socket;
          if (previous && previous !== socket) previous.destroy();
          this.send(socket, {
            t: 'welcome',
            app: slot.app,
            version: slot.version,
            handover: !!slot.handover,
          });
          this.emit('connect', slot.id);
          continue;
        }
        this.onMessage(slot, m);
      }
    });
    socket.on('close', () => {
      if (slot.socket !== socket) return;
      slot.socket = undefined;
      slot.lock = undefined;
      if (this.slots.get(slot.id) === slot) this.apply(this.leases.drop(slot.id));
      this.emit('disconnect', slot.id);
    });
  }

  private onMessage(slot: Slot, m: AppMessage): void {
    switch (m.t) {
      case 'hello':
        break;
      case 'acquire':
        if (!this.resources.has(m.r)) {
          this.sendTo(slot.id, { t: 'denied', r: m.r, reason: `this device has no resource '${m.r}'` });
          return;
        }
        slot.requested.add(m.r);
        this.apply(this.leases.request(m.r, slot.id));
        break;
      case 'release':
        this.apply(this.leases.release(m.r, slot.id, m.state));
        break;
      case 'cmd': {
        // The one rule of the bridge: only the lease holder drives a resource.
        if (this.leases.holderOf(m.r) !== slot.id) {
          this.sendTo(slot.id, { t: 'error', code: 'NOT_HOLDER', message: `you do not hold '${m.r}'` });
          return;
        }
        this.resources.get(m.r)?.command(m.d, slot.id);
        break;
      }
      case 'lock':
        slot.lock = { reason: m.reason, since: Date.now() };
        this.emit('lock', slot.id, m.reason);
        break;
      case 'unlock':
        slot.lock = undefined;
        this.emit('lock', slot.id, undefined);
        break;
      case 'health':
        slot.health = m.detail === undefined ? { ok: m.ok } : { ok: m.ok, detail: m.detail };
        this.emit('health', slot.id, m.ok, m.detail);
        break;
      case 'handover-complete':
        this.emit('complete', slot.id);
        break;
    }
  }

  private apply(events: LeaseEvent[]): void {
    for (const e of events) {
      switch (e.kind) {
        case 'granted': {
          const m: AgentMessage = { t: 'granted', r: e.resource };
          if (e.state !== undefined) m.state = e.state;
          const from = e.from ? this.slots.get(e.from)?.version : undefined;
          if (from) m.from = from;
          this.sendTo(e.to, m);
          break;
        }
        case 'queued':
          this.sendTo(e.client, {
            t: 'queued',
            r: e.resource,
            holder: this.slots.get(e.holder)?.version ?? '?',
          });
          break;
        case 'handover-request':
          this.sendTo(e.holder, {
            t: 'handover-request',
            r: e.resource,
            to: this.slots.get(e.to)?.version ?? '?',
          });
          break;
        case 'denied':
          this.sendTo(e.client, { t: 'denied', r: e.resource, reason: e.reason });
          break;
        case 'revoked':
          this.sendTo(e.client, { t: 'revoked', r: e.resource, reason: e.reason });
          break;
      }
      this.emit('lease', e);
    }
    for (const [name, r] of this.resources) {
      const now = this.leases.holderOf(name);
      if (now === this.lastHolder.get(name)) continue;
      this.lastHolder.set(name, now);
      r.holderChanged?.(now);
    }
  }

  private toHolder(resource: string, d: unknown): void {
    const holder = this.leases.holderOf(resource);
    if (!holder) return;
    const s = this.slots.get(holder)?.socket;
    if (!s || s.destroyed || s.writableLength > MAX_QUEUED_EVENT_BYTES) return;
    this.send(s, { t: 'evt', r: resource, d });
  }

  private sendTo(id: string, m: AgentMessage): void {
    const s = this.slots.get(id)?.socket;
    if (s && !s.destroyed) this.send(s, m);
  }

  private send(s: Socket, m: AgentMessage): void {
    s.write(encodeFrame(m, this.maxFrameBytes));
  }

  private protocolError(slot: Slot, socket: Socket, message: string, fatal: boolean): void {
    this.emit('protocol-error', slot.id, message);
    if (!socket.destroyed) this.send(socket, { t: 'error', code: 'BRIDGE_BAD_MESSAGE', message });
    if (fatal) socket.end(() => socket.destroy());
  }
}
