/**
 * The pure heart of the bridge: who holds which resource, who waits for it, and what must be
 * said to whom when that changes. No I/O and no clock: every operation is one synchronous
 * step that returns the events to deliver, so a lease moves from one holder to the next inside
 * a single call — there is no instant at which a resource has no holder while someone waits
 * for it, and never two holders.
 */

export type LeaseEvent =
  | { kind: 'granted'; resource: string; to: string; from?: string; state?: unknown }
  | { kind: 'queued'; resource: string; client: string; holder: string }
  | { kind: 'handover-request'; resource: string; holder: string; to: string }
  | { kind: 'denied'; resource: string; client: string; reason: string }
  | { kind: 'revoked'; resource: string; client: string; reason: string };

/** Who may hold leases now, and which client (if any) may take leases over from their holders. */
export interface LeasePolicy {
  eligible: ReadonlySet<string>;
  handoverTo?: string;
}

export class LeaseTable {
  private readonly holders = new Map<string, string>();
  private readonly queues = new Map<string, string[]>();
  private policy: LeasePolicy = { eligible: new Set() };

  holderOf(resource: string): string | undefined {
    return this.holders.get(resource);
  }

  leasesOf(client: string): string[] {
    return [...this.holders].filter(([, c]) => c === client).map(([r]) => r);
  }

  /** resource -> holder, for status reports. */
  snapshot(): Record<string, string> {
    return Object.fromEntries(this.holders);
  }

  request(resource: string, client: string): LeaseEvent[] {
    if (!this.policy.eligible.has(client)) {
      // Kept in the queue: if this version becomes the active one (a hand-over, a roll-back, an
      // agent restart that has not read its journal yet), it gets the lease without asking again.
      this.enqueue(resource, client);
      return [{ kind: 'denied', resource, client, reason: 'not the active version of this app (waiting)' }];
    }
    const holder = this.holders.get(resource);
    if (holder === client || holder === undefined) {
      this.holders.set(resource, client);
      this.dequeue(resource, client);
      return [{ kind: 'granted', resource, to: client }];
    }
    this.enqueue(resource, client);
    const events: LeaseEvent[] = [{ kind: 'queued', resource, client, holder }];
    if (this.policy.handoverTo === client)
      events.push({ kind: 'handover-request', resource, holder, to: client });
    return events;
  }

  /** The holder gives the resource back, with an optional state blob for the next holder. */
  release(resource: string, client: string, state?: unknown): LeaseEvent[] {
    if (this.holders.get(resource) !== client) {
      this.dequeue(resource, client);
      return [];
    }
    this.holders.delete(resource);
    return this.passOn(resource, client, state);
  }

  /** A client went away (its container stopped or crashed): its leases pass to whoever waits. */
  drop(client: string): LeaseEvent[] {
    for (const [r] of this.queues) this.dequeue(r, client);
    const events: LeaseEvent[] = [];
    for (const r of this.leasesOf(client)) {
      this.holders.delete(r);
      events.push(...this.passOn(r, client, undefined));
    }
    return events;
  }

  /**
   * Changes who may hold leases. Holders that are no longer eligible lose their leases at once
   * (to the first eligible waiter, in the same step); free resources go to eligible waiters;
   * and a new hand-over target that already waits makes the holders hand over.
   */
  setPolicy(policy: LeasePolicy): LeaseEvent[] {
    this.policy = { eligible: new Set(policy.eligible), handoverTo: policy.handoverTo };
    const events: LeaseEvent[] = [];
    for (const [r, holder] of [...this.holders]) {
      if (this.policy.eligible.has(holder)) {
        const waiting = this.queues.get(r) ?? [];
        if (policy.handoverTo && policy.handoverTo !== holder && waiting.includes(policy.handoverTo))
          events.push({ kind: 'handover-request', resource: r, holder, to: policy.handoverTo });
        continue;
      }
      this.holders.delete(r);
      events.push({ kind: 'revoked', resource: r, client: holder, reason: 'no longer the active version' });
      events.push(...this.passOn(r, holder, undefined));
    }
    for (const [r, queue] of [...this.queues]) {
      if (this.holders.has(r)) continue;
      const next = queue.find((c) => this.policy.eligible.has(c));
      if (next) {
        this.holders.set(r, next);
        this.dequeue(r, next);
        events.push({ kind: 'granted', resource: r, to: next });
      }
    }
    return events;
  }

  /** Forces every lease of `from` that someone eligible waits for over to that waiter (hand-over timeout). */
  takeOver(from: string, reason: string): LeaseEvent[] {
    const events: LeaseEvent[] = [];
    for (const r of this.leasesOf(from)) {
      const next = (this.queues.get(r) ?? []).find((c) => c !== from && this.policy.eligible.has(c));
      if (!next) continue;
      this.holders.set(r, next);
      this.dequeue(r, next);
      events.push({ kind: 'revoked', resource: r, client: from, reason });
      events.push({ kind: 'granted', resource: r, to: next, from });
    }
    return events;
  }

  private passOn(resource: string, from: string, state: unknown): LeaseEvent[] {
    const queue = this.queues.get(resource) ?? [];
    const next = queue.find((c) => c !== from && this.policy.eligible.has(c));
    if (!next) return [];
    this.holders.set(resource, next);
    this.dequeue(resource, next);
    const ev: LeaseEvent = { kind: 'granted', resource, to: next, from };
    if (state !== undefined) ev.state = state;
    return [ev];
  }

  private enqueue(resource: string, client: string): void {
    const queue = this.queues.get(resource) ?? [];
    if (!queue.includes(client)) queue.push(client);
    this.queues.set(resource, queue);
  }

  private dequeue(resource: string, client: string): void {
    const queue = this.queues.get(resource);
    if (!queue) return;
    const rest = queue.filter((c) => c !== client);
    if (rest.length) this.queues.set(resource, rest);
    else this.queues.delete(resource);
  }
}
