import { describe, expect, it } from 'vitest';
import { type LeaseEvent, LeaseTable } from './lease-table.js';

const table = (eligible: string[], handoverTo?: string) => {
  const t = new LeaseTable();
  t.setPolicy({ eligible: new Set(eligible), handoverTo });
  return t;
};
const kinds = (events: LeaseEvent[]) => events.map((e) => `${e.kind}:${e.resource}`);

describe('LeaseTable', () => {
  it('grants a free resource to an eligible client and denies an ineligible one', () => {
    const t = table(['v1']);
    expect(t.request('flight', 'v1')).toEqual([{ kind: 'granted', resource: 'flight', to: 'v1' }]);
    expect(t.request('camera', 'v9')[0]).toMatchObject({ kind: 'denied', client: 'v9' });
    expect(t.holderOf('flight')).toBe('v1');
    expect(t.holderOf('camera')).toBeUndefined();
  });

  it('never has two holders: a second eligible client waits in the queue', () => {
    const t = table(['v1', 'v2']);
    t.request('flight', 'v1');
    expect(kinds(t.request('flight', 'v2'))).toEqual(['queued:flight']);
    expect(t.holderOf('flight')).toBe('v1');
  });

  it('hands over with the state blob in one step: no instant without a holder', () => {
    const t = table(['v1']);
    t.request('flight', 'v1');
    t.setPolicy({ eligible: new Set(['v1', 'v2']), handoverTo: 'v2' });
    expect(t.request('flight', 'v2')).toEqual([
      { kind: 'queued', resource: 'flight', client: 'v2', holder: 'v1' },
      { kind: 'handover-request', resource: 'flight', holder: 'v1', to: 'v2' },
    ]);
    const ev = t.release('flight', 'v1', { seq: 42 });
    expect(ev).toEqual([{ kind: 'granted', resource: 'flight', to: 'v2', from: 'v1', state: { seq: 42 } }]);
    expect(t.holderOf('flight')).toBe('v2');
  });

  it('asks the holder to hand over when the policy names a target that already waits', () => {
    const t = table(['v1', 'v2']);
    t.request('camera', 'v1');
    t.request('camera', 'v2');
    expect(kinds(t.setPolicy({ eligible: new Set(['v1', 'v2']), handoverTo: 'v2' }))).toEqual([
      'handover-request:camera',
    ]);
  });

  it('passes the leases of a client that disappears to the next eligible waiter', () => {
    const t = table(['v1', 'v2']);
    t.request('flight', 'v1');
    t.request('camera', 'v1');
    t.request('flight', 'v2');
    const ev = t.drop('v1');
    expect(ev).toEqual([{ kind: 'granted', resource: 'flight', to: 'v2', from: 'v1' }]);
    expect(t.holderOf('flight')).toBe('v2');
    expect(t.holderOf('camera')).toBeUndefined();
    expect(t.leasesOf('v1')).toEqual([]);
  });

  it('revokes leases of a client that stops being eligible, in favour of an eligible waiter', () => {
    const t = table(['v1', 'v2']);
    t.request('flight', 'v2');
    t.request('flight', 'v1'); // v1 stands by (after a hand-over)
    const ev = t.setPolicy({ eligible: new Set(['v1']) }); // roll back
    expect(ev).toEqual([
      { kind: 'revoked', resource: 'flight', client: 'v2', reason: 'no longer the active version' },
      { kind: 'granted', resource: 'flight', to: 'v1', from: 'v2' },
    ]);
  });

  it('gives free resources to eligible waiters when the policy changes', () => {
    const t = table(['v1']);
    t.setPolicy({ eligible: new Set([]) });
    t.setPolicy({ eligible: new Set(['v2']) });
    t.request('flight', 'v2');
    expect(t.holderOf('flight')).toBe('v2');
  });

  it('takes over on hand-over timeout only where someone waits', () => {
    const t = table(['v1', 'v2'], 'v2');
    t.request('flight', 'v1');
    t.request('camera', 'v1');
    t.request('flight', 'v2');
    const ev = t.takeOver('v1', 'hand-over timed out');
    expect(kinds(ev)).toEqual(['revoked:flight', 'granted:flight']);
    expect(t.holderOf('flight')).toBe('v2');
    expect(t.holderOf('camera')).toBe('v1');
  });

  it('ignores a release from a non-holder (but drops it from the queue)', () => {
    const t = table(['v1', 'v2']);
    t.request('flight', 'v1');
    t.request('flight', 'v2');
    expect(t.release('flight', 'v2')).toEqual([]);
    expect(t.drop('v1')).toEqual([]);
    expect(t.holderOf('flight')).toBeUndefined();
  });

  it('holds the exclusivity invariant over a random sequence of operations', () => {
    // Deterministic pseudo-random walk: at any point each resource has at most one holder,
    // and a resource with an eligible waiter is never left without a holder.
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const clients = ['v1', 'v2', 'v3'];
    const resources = ['flight', 'camera', 'ground'];
    const t = new LeaseTable();
    let eligible = new Set(['v1', 'v2']);
    t.setPolicy({ eligible });
    const waiting = new Map<string, Set<string>>();
    for (let i = 0; i < 2000; i++) {
      const c = clients[rnd(3)];
      const r = resources[rnd(3)];
      switch (rnd(5)) {
        case 0:
          t.request(r, c);
          if (eligible.has(c) && t.holderOf(r) !== c) waiting.set(r, (waiting.get(r) ?? new Set()).add(c));
          break;
        case 1:
          t.release(r, c, { i });
          waiting.get(r)?.delete(c);
          break;
        case 2:
          t.drop(c);
          for (const w of waiting.values()) w.delete(c);
          break;
        case 3:
          eligible = new Set(clients.filter(() => rnd(2) === 0));
          t.setPolicy({ eligible, handoverTo: rnd(2) ? c : undefined });
          break;
        default:
          t.takeOver(c, 'timeout');
      }
      for (const res of resources) {
        const h = t.holderOf(res);
        if (h !== undefined) expect(eligible.has(h) || t.leasesOf(h).includes(res)).toBe(true);
        const holders = clients.filter((x) => t.leasesOf(x).includes(res));
        expect(holders.length).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe('LeaseTable: requests before the policy allows them', () => {
  it('keeps an ineligible request waiting and grants it once the client becomes eligible', () => {
    const t = new LeaseTable(); // an agent that has not read its journal yet: nobody eligible
    expect(t.request('flight', 'v1')[0]).toMatchObject({ kind: 'denied' });
    expect(t.holderOf('flight')).toBeUndefined();
    expect(t.setPolicy({ eligible: new Set(['v1']) })).toEqual([
      { kind: 'granted', resource: 'flight', to: 'v1' },
    ]);
  });
});
