import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import type { Resource } from '../../device/bridge/index.js';

/**
 * The ground-station link: a websocket server the agent owns, so the operator's connection
 * stays up while apps come and go. Messages from the ground go to the `ground` lease holder;
 * the holder's commands are sent to every connected ground station.
 */
export class GroundLink implements Resource {
  readonly name = 'ground';
  private emit: (d: unknown) => void = () => {};
  private readonly wss: WebSocketServer;
  private readonly ready: Promise<void>;
  sent = 0;
  holder: string | undefined;

  constructor(port = 0, host = '127.0.0.1') {
    this.wss = new WebSocketServer({ port, host, maxPayload: 64 * 1024 });
    this.ready = new Promise((resolve) => this.wss.once('listening', () => resolve()));
    this.wss.on('connection', (ws) => {
      ws.on('message', (raw) => {
        try {
          this.emit({ kind: 'ground', msg: JSON.parse(String(raw)) });
        } catch {
          ws.send(JSON.stringify({ error: 'ground-station messages are JSON' }));
        }
      });
    });
  }

  async url(): Promise<string> {
    await this.ready;
    return `ws://127.0.0.1:${(this.wss.address() as AddressInfo).port}`;
  }

  attach(emit: (d: unknown) => void): void {
    this.emit = emit;
  }

  holderChanged(holder: string | undefined): void {
    this.holder = holder;
  }

  command(data: unknown, holder: string): void {
    const text = JSON.stringify({ from: holder, ...(data as object) });
    for (const ws of this.wss.clients) if (ws.readyState === ws.OPEN) ws.send(text);
    this.sent++;
  }

  close(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    return new Promise((resolve) => this.wss.close(() => resolve()));
  }
}
