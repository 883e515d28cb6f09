import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from './audit.js';
import type { ChaosEngine } from './engine.js';
import { ChaosError, isChaosError } from './errors.js';
import { normalizePolicy } from './policy.js';
import { serveChaos } from './server.js';
import type { Policy } from './types.js';

// A stand-in engine: the server's job is HTTP (routes, bodies, tokens), not injecting.
function stubEngine() {
  const policies: Policy[] = [];
  const audit = new AuditLog(undefined, () => 'T');
  const engine = {
    audit,
    info: () => ({ version: 'x', kernel: { netem: false } }),
    policies: () => policies,
    injections: () => [{ policy: 'p', target: { id: 'abcdef0123456789', name: 'web' }, dryRun: false }],
    createPolicy(input: Record<string, unknown>) {
      const p = normalizePolicy(input, { name: () => 'gen_name', now: () => 'now' });
      policies.push(p);
      audit.emit({ action: 'policy-created', policy: p.name, result: 'info' });
      return p;
    },
    async deletePolicy(name: string) {
      const i = policies.findIndex((p) => p.name === name);
      if (i < 0) throw new ChaosError('CHAOS_NO_SUCH_POLICY', `no policy named '${name}'`);
      policies.splice(i, 1);
    },
  };
  return engine as unknown as ChaosEngine;
}

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function start(token?: string) {
  const { server, url } = await serveChaos(stubEngine(), { port: 0, token });
  closers.push(() => server.close());
  return url;
}

describe('chaos HTTP API', () => {
  it("answers Entropy's routes; takes a form-encoded policy as Entropy's client posts it", async () => {
    const url = await start();
    expect(await (await fetch(`${url}/_ping`)).text()).toBe('OK');
    expect(await (await fetch(`${url}/version`)).json()).toMatchObject({ Version: expect.any(String) });
    // Exactly what Entropy's client (buildertools/entropy, ClientCreatePolicy) posts: every
    // field, empty when its flag was not given.
    const body =
      'criteria=service%3DPingGoogle&failures=latency&frequency=10&image=allingeek%2Fgremlins&name=&probability=.50';
    const res = await fetch(`${url}/policy/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({
      Name: 'gen_name',
      Criteria: 'service=PingGoogle',
      Faults: 'latency:100ms',
      Frequency: '10',
      Probability: '0.5',
      name: 'gen_name',
      failures: ['latency:100ms'],
      probability: 0.5,
    });
    const json = await fetch(`${url}/policy`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'j', criteria: ['a'], failures: ['pause'] }),
    });
    expect(json.status).toBe(201);
    const list = (await (await fetch(`${url}/policy/`)).json()) as { name: string }[];
    expect(list.map((p) => p.name)).toEqual(['gen_name', 'j']);
    expect(await (await fetch(`${url}/injector/`)).json()).toEqual([
      expect.objectContaining({
        Name: 'p_abcdef012345',
        TargetCID: 'abcdef0123456789',
        Status: 'active',
        policy: 'p',
        target: { id: 'abcdef012345', name: 'web' },
      }),
    ]);
    expect((await fetch(`${url}/policy/j`, { method: 'DELETE' })).status).toBe(200);
    const missing = await fetch(`${url}/policy/j`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'CHAOS_NO_SUCH_POLICY' });
    const bad = await fetch(`${url}/policy/`, { method: 'POST', body: 'failures=nuke&criteria=a' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'CHAOS_BAD_FAULT' });
  });

  it('streams the audit as JSON lines on GET /events', async () => {
    const url = await start();
    await fetch(`${url}/policy/`, { method: 'POST', body: 'name=a1&failures=pause&criteria=a' });
    const res = await fetch(`${url}/events`);
    const reader = res.body?.getReader();
    const { value } = (await reader?.read()) ?? {};
    const line = JSON.parse(new TextDecoder().decode(value).split('\n')[0]);
    expect(line).toMatchObject({ time: 'T', action: 'policy-created', policy: 'a1' });
    await reader?.cancel();
  });

  it('needs a token on any non-loopback address, and checks it when set', async () => {
    let err: unknown;
    try {
      await serveChaos(stubEngine(), { host: '0.0.0.0', port: 0 });
    } catch (e) {
      err = e;
    }
    expect(isChaosError(err) && err.code).toBe('CHAOS_TOKEN_REQUIRED');
    const url = await start('s3cret');
    expect((await fetch(`${url}/policy/`)).status).toBe(401);
    expect((await fetch(`${url}/policy/`, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
  });
});
