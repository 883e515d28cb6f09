import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeClient } from '../../sdk/bridge-client/index.js';
import type { Resource } from './resource.js';
import { BridgeServer } from './server.js';

// The bridge over real unix sockets, in one process: no Docker, no broker.

class Recorder implements Resource {
  commands: Array<{ d: unknown; holder: string }> = [];
  emit: (d: unknown) => void = () => {};
  holder: string | undefined;
  constructor(readonly name: string) {}
  attach(emit: (d: unknown) => void) {
    this.emit = emit;
  }
  command(d: unknown, holder: string) {
    this.commands.push({ d, holder });
  }
  holderChanged(h: string | undefined) {
    this.holder = h;
  }
}

let dir: string;
let flight: Recorder;
let camera: Recorder;
let server: BridgeServer;
const clients: BridgeClient[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aloft-bridge-'));
  flight = new Recorder('flight');
  camera = new Recorder('camera');
  server = new BridgeServer([flight, camera]);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function slot(version: string, handover = false) {
  const path = await server.openSlot({
    id: version,
    app: 'drone',
    version,
    dir: join(dir, version),
    handover,
  });
  return path;
}

async function client(version: string, onHandoverRequest?: (r: string) => unknown) {
  const c = await BridgeClient.connect(
    { app: 'drone', version, socketPath: join(dir, version, 'bridge.sock'), onHandoverRequest },
    5000,
  );
  clients.push(c);
  return c;
}

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('bridge server and client', () => {
  it('lends a resource to the eligible app and forwards only its commands and events', async () => {
    await slot('1');
    await slot('2');
    server.setPolicy({ eligible: new Set(['1']) });
    const a = await client('1');
    const b = await client('2');
    await a.acquire('flight');
    expect(a.holds('flight')).toBe(true);
    const denied = new Promise((r) => b.once('denied', (res: string) => r(res)));
    void b.acquire('flight');
    expect(await denied).toBe('flight');
    expect(a.send('flight', { seq: 1 })).toBe(true);
    expect(b.send('flight', { seq: 99 })).toBe(false); // the library refuses without a lease
    await until(() => flight.commands.length === 1);
    expect(flight.commands).toEqual([{ d: { seq: 1 }, holder: '1' }]);
    const got: unknown[] = [];
    a.on('event', (_r: string, d: unknown) => got.push(d));
    b.on('event', (_r: string, d: unknown) => got.push(d));
    flight.emit({ tick: 1 });
    await until(() => got.length === 1);
    expect(got).toEqual([{ tick: 1 }]);
  });

  it('drops commands from a non-holder that bypasses the library', async () => {
    await slot('1');
    server.setPolicy({ eligible: new Set(['1']) });
    const a = await client('1');
    const errors: string[] = [];
    a.on('agent-error', (e: { code: string }) => errors.push(e.code));
    // Write a raw command without holding the lease.
    (a as unknown as { write(m: unknown): boolean }).write({ t: 'cmd', r: 'flight', d: { seq: 7 } });
    await until(() => errors.length === 1);
    expect(errors).toEqual(['NOT_HOLDER']);
    expect(flight.commands).toEqual([]);
  });

  it('hands a lease over with the state blob, and v1 stands by to take it back', async () => {
    await slot('1');
    await slot('2', true);
    server.setPolicy({ eligible: new Set(['1']) });
    let seq = 41;
    const a = await client('1', () => ({ seq }));
    await a.acquire('flight');
    a.send('flight', { seq });
    server.setPolicy({ eligible: new Set(['1', '2']), handoverTo: '2' });
    const b = await client('2');
    expect(b.handover).toBe(true);
    const grant = await b.acquire('flight');
    expect(grant).toEqual({ resource: 'flight', state: { seq: 41 }, from: '1' });
    expect(a.holds('flight')).toBe(false);
    seq = 42;
    expect(a.send('flight', { seq: 1000 })).toBe(false);
    b.send('flight', { seq: 42 });
    await until(() => flight.commands.length === 2);
    expect(flight.commands.map((c) => c.holder)).toEqual(['1', '2']);
    // v2 fails: when it goes away, the lease returns to v1, which waited in the queue.
    const back = new Promise((r) => a.once('granted', r));
    b.close();
    await back;
    expect(a.holds('flight')).toBe(true);
    expect(server.leases.holderOf('flight')).toBe('1');
  });

  it('passes on a hand-over "kill me" and lock state', async () => {
    await slot('1');
    server.setPolicy({ eligible: new Set(['1']) });
    const a = await client('1');
    const completes: string[] = [];
    server.on('complete', (id: string) => completes.push(id));
    a.lock('landing');
    await until(() => server.lockOf('1') !== undefined);
    expect(server.lockOf('1')?.reason).toBe('landing');
    a.unlock();
    await until(() => server.lockOf('1') === undefined);
    a.handoverComplete();
    await until(() => completes.length === 1);
    expect(completes).toEqual(['1']);
  });

  it('closes a connection that announces an oversized frame', async () => {
    await slot('1');
    server.setPolicy({ eligible: new Set(['1']) });
    const errors: string[] = [];
    server.on('protocol-error', (_id: string, m: string) => errors.push(m));
    const raw = connect(join(dir, '1', 'bridge.sock'));
    await new Promise((r) => raw.once('connect', r));
    raw.resume();
    raw.write(Buffer.from([0x7f, 0xff, 0xff, 0xff]));
    await new Promise((r) => raw.once('close', r));
    expect(errors[0]).toMatch(/cap/);
  });

  it('survives an agent restart: the client reconnects and asks again for its leases', async () => {
    await slot('1');
    server.setPolicy({ eligible: new Set(['1']) });
    const a = await client('1');
    await a.acquire('camera');
    const revoked = new Promise((r) => a.once('revoked', r));
    await server.close();
    await revoked;
    server = new BridgeServer([flight, camera]);
    await slot('1');
    server.setPolicy({ eligible: new Set(['1']) });
    await until(() => a.holds('camera'), 5000);
    expect(server.leases.holderOf('camera')).toBe('1');
  });
});
