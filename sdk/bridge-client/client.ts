import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { BridgeError } from './errors.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from './frame.js';
import { type AgentMessage, type AppMessage, DEFAULT_BRIDGE_SOCKET, parseAgentMessage } from './messages.js';

export interface BridgeClientOptions {
  app: string;
  version: string;
  /** Default: $ALOFT_BRIDGE_SOCKET, else /run/aloft/bridge.sock (where the agent mounts it). */
  socketPath?: string;
  /** Delay between reconnection attempts after the agent goes away (it restarts). Default 100 ms. */
  reconnectMs?: number;
  /**
   * Called when the agent asks this app to hand a resource over to a newer version. Return the
   * state blob the successor needs (setpoint, stream position, ...). From the moment this
   * returns, `send()` on that resource returns false: stop driving it.
   */
  onHandoverRequest?: (resource: string, to: string) => unknown;
}

export interface Grant {
  resource: string;
  /** The state blob the previous holder handed over, if any. */
  state?: unknown;
  from?: string;
}

/**
 * An app's end of the device bridge. The agent owns the hardware and lends each resource to one
 * app at a time; this client asks for leases, drives resources it holds, receives their events,
 * and takes part in hand-overs. It reconnects by itself when the agent restarts and asks again
 * for what it wanted, so an app survives an agent crash without code of its own.
 *
 * Events: 'event' (resource, data), 'granted' (Grant), 'revoked' (resource, reason),
 * 'handover-request' (resource, to), 'connected', 'disconnected', 'agent-error' ({code, message}).
 */
export class BridgeClient extends EventEmitter {
  private socket: Socket | undefined;
  private readonly wanted = new Set<string>();
  private readonly held = new Set<string>();
  private readonly waiting = new Map<string, Array<(g: Grant) => void>>();
  private lockReason: string | undefined;
  private closed = false;
  private welcomed: ((handover: boolean) => void) | undefined;
  /** True when the agent started this app as the incoming side of a hand-over. */
  handover = false;

  private constructor(
    private readonly opts: BridgeClientOptions,
    private readonly path: string,
  ) {
    super();
  }

  /** Connects and waits for the agent's welcome. Retries until `timeoutMs` (default 30 s). */
  static async connect(opts: BridgeClientOptions, timeoutMs = 30_000): Promise<BridgeClient> {
    const path = opts.socketPath ?? process.env.ALOFT_BRIDGE_SOCKET ?? DEFAULT_BRIDGE_SOCKET;
    const client = new BridgeClient(opts, path);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await client.open();
        return client;
      } catch (e) {
        if (Date.now() > deadline)
          throw new BridgeError(
            'BRIDGE_NOT_CONNECTED',
            `no device agent answers on ${path} (${(e as Error).message}): is the bridge mounted?`,
          );
        await sleep(opts.reconnectMs ?? 100);
      }
    }
  }

  /** Asks for a resource; resolves when it is granted (maybe after a hand-over or a wait). */
  acquire(resource: string): Promise<Grant> {
    this.wanted.add(resource);
    return new Promise((resolve) => {
      const list = this.waiting.get(resource) ?? [];
      list.push(resolve);
      this.waiting.set(resource, list);
      this.write({ t: 'acquire', r: resource });
    });
  }

  holds(resource: string): boolean {
    return this.held.has(resource);
  }

  /** Sends a command to a resource this app holds; false (and nothing sent) otherwise. */
  send(resource: string, data: unknown): boolean {
    if (!this.held.has(resource)) return false;
    return this.write({ t: 'cmd', r: resource, d: data });
  }

  /** Gives a resource back, with an optional state blob for whoever takes it next. */
  release(resource: string, state?: unknown): void {
    this.wanted.delete(resource);
    this.held.delete(resource);
    this.write(state === undefined ? { t: 'release', r: resource } : { t: 'release', r: resource, state });
  }

  /** Holds the update lock: the agent waits (bounded) before it stops or replaces this app. */
  lock(reason: string): void {
    this.lockReason = reason;
    this.write({ t: 'lock', reason });
  }

  unlock(): void {
    this.lockReason = undefined;
    this.write({ t: 'unlock' });
  }

  /** Reports the app's own health; `ok: false` during an update's health window rolls it back. */
  health(ok: boolean, detail?: string): void {
    this.write(detail === undefined ? { t: 'health', ok } : { t: 'health', ok, detail });
  }

  /** "Kill me": the hand-over is done; the agent stops the old version now. */
  handoverComplete(): void {
    this.write({ t: 'handover-complete' });
  }

  get connected(): boolean {
    return this.socket !== undefined && !this.socket.destroyed;
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private write(m: AppMessage): boolean {
    const s = this.socket;
    if (!s || s.destroyed) return false;
    s.write(encodeFrame(m));
    return true;
  }

  private open(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect(this.path);
      const decoder = new FrameDecoder(MAX_FRAME_BYTES);
      let up = false;
      s.once('error', (e) => {
        if (!up) reject(e);
      });
      s.on('connect', () => {
        up = true;
        this.socket = s;
        this.welcomed = (handover) => {
          this.handover = handover;
          resolve();
        };
        this.write({ t: 'hello', app: this.opts.app, version: this.opts.version });
        // After an agent restart, ask again for everything this app wanted and still locks.
        for (const r of this.wanted) this.write({ t: 'acquire', r });
        if (this.lockReason !== undefined) this.write({ t: 'lock', reason: this.lockReason });
        this.emit('connected');
      });
      s.on('data', (chunk: Buffer) => {
        let messages: unknown[];
        try {
          messages = decoder.push(chunk);
        } catch (e) {
          this.emit('agent-error', { code: (e as BridgeError).code, message: (e as Error).message });
          s.destroy();
          return;
        }
        for (const raw of messages) {
          try {
            this.onMessage(parseAgentMessage(raw));
          } catch (e) {
            this.emit('agent-error', { code: (e as BridgeError).code, message: (e as Error).message });
          }
        }
      });
      s.on('close', () => {
        if (!up) return;
        if (this.socket === s) this.socket = undefined;
        for (const r of [...this.held]) {
          this.held.delete(r);
          this.emit('revoked', r, 'agent-gone');
        }
        this.emit('disconnected');
        if (!this.closed) void this.reconnect();
      });
    });
  }

  private async reconnect(): Promise<void> {
    while (!this.closed) {
      await sleep(this.opts.reconnectMs ?? 100);
      try {
        await this.open();
        return;
      } catch {
        // the agent is not back yet
      }
    }
  }

  private onMessage(m: AgentMessage): void {
    switch (m.t) {
      case 'welcome':
        this.welcomed?.(m.handover);
        this.welcomed = undefined;
        break;
      case 'granted': {
        this.held.add(m.r);
        const grant: Grant = { resource: m.r };
        if (m.state !== undefined) grant.state = m.state;
        if (m.from !== undefined) grant.from = m.from;
        const list = this.waiting.get(m.r) ?? [];
        this.waiting.delete(m.r);
        for (const w of list) w(grant);
        this.emit('granted', grant);
        break;
      }
      case 'revoked':
        this.held.delete(m.r);
        this.emit('revoked', m.r, m.reason);
        break;
      case 'handover-request': {
        // Synchronous by design: the state blob is taken and the lease dropped in one turn,
        // so the old app cannot send a command after its state was captured.
        const state = this.opts.onHandoverRequest?.(m.r, m.to);
        this.held.delete(m.r);
        this.write(state === undefined ? { t: 'release', r: m.r } : { t: 'release', r: m.r, state });
        // Stand by in the queue: if the successor fails, the lease comes back to us at once.
        this.write({ t: 'acquire', r: m.r });
        this.emit('handover-request', m.r, m.to);
        break;
      }
      case 'evt':
        this.emit('event', m.r, m.d);
        break;
      case 'queued':
        this.emit('queued', m.r, m.holder);
        break;
      case 'denied':
        this.emit('denied', m.r, m.reason);
        break;
      case 'error':
        this.emit('agent-error', { code: m.code, message: m.message });
        break;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
