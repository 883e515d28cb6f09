import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerClient } from '../../docker/index.js';
import { FUNCTION_LABEL, sweepFunctions } from '../labels.js';
import { CGIT_IMAGE, ensureFixtureImages, TEST_CGI_IMAGE } from '../testing/fixture-images.js';
import { envOf, http } from '../testing/http.js';
import { type Gateway, type GatewayOptions, startGateway } from './gateway.js';

const NAME = `test-${process.pid}-${randomBytes(3).toString('hex')}`;
const SCOPE = `gateway.${NAME}`;
const logs: string[] = [];
const open: Gateway[] = [];

async function gateway(options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  const g = await startGateway({
    name: NAME,
    routes: [
      { path: '/t', image: TEST_CGI_IMAGE },
      { path: '/git', image: CGIT_IMAGE },
    ],
    log: (line) => logs.push(line),
    sweep: false,
    ...options,
  });
  open.push(g);
  return g;
}

async function containers(state?: string): Promise<number> {
  const list = await dockerClient().listContainers({
    all: true,
    filters: { label: [`${FUNCTION_LABEL}=${SCOPE}`] },
  });
  return list.filter((c) => !state || c.State === state).length;
}

async function eventually(check: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`still not true after ${ms} ms: ${what}`);
}

beforeAll(async () => {
  await ensureFixtureImages();
});

afterAll(async () => {
  await Promise.all(open.map((g) => g.close()));
  await sweepFunctions({ scope: SCOPE });
});

for (const warm of [0, 2]) {
  describe(`CGI gateway end to end over HTTP (${warm ? 'warm pool' : 'cold containers'})`, () => {
    let g: Gateway;
    beforeAll(async () => {
      g = await gateway({ warm });
    });
    // Closed here, so that its pool's created containers do not count in the tests below.
    afterAll(async () => {
      await g.close();
    });

    it('sets the meta-variables, merges repeated headers, and keeps Proxy and Authorization out', async () => {
      const r = await http(`${g.url}/t/env/a%20b/c?x=1&y=%2F`, {
        headers: {
          'X-Multi': ['one', 'two'],
          Proxy: 'http://evil.test:3128',
          Authorization: 'Basic c2VjcmV0',
          'X-Under_Score': '1',
        },
      });
      expect(r.status).toBe(200);
      const env = envOf(r.body);
      expect(env).toMatchObject({
        GATEWAY_INTERFACE: 'CGI/1.1',
        REQUEST_METHOD: 'GET',
        QUERY_STRING: 'x=1&y=%2F',
        PATH_INFO: '/env/a b/c',
        SCRIPT_NAME: '/t',
        SERVER_NAME: '127.0.0.1',
        SERVER_PORT: String(g.port),
        SERVER_PROTOCOL: 'HTTP/1.1',
        REMOTE_ADDR: '127.0.0.1',
        HTTP_X_MULTI: 'one, two',
      });
      expect(env.SERVER_SOFTWARE).toMatch(/^aloft-cgi\//);
      expect(env.HTTP_PROXY).toBeUndefined();
      expect(env.HTTP_AUTHORIZATION).toBeUndefined();
      expect(env.CONTENT_LENGTH).toBeUndefined();
      expect(Object.keys(env).filter((k) => k.includes('UNDER'))).toEqual([]);
    });

    it('de-chunks a chunked request body onto stdin with its CONTENT_LENGTH', async () => {
      const r = await http(`${g.url}/t/echo`, {
        method: 'POST',
        chunks: ['hello ', 'chunked ', 'world'],
        headers: { 'Content-Type': 'text/plain' },
      });
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('hello chunked world');
      expect(r.headers['x-method']).toBe('POST');
      expect(r.headers['x-length']).toBe('19');
    });

    it('passes Status and repeated headers through, and drops the body for HEAD', async () => {
      const r = await http(`${g.url}/t/status`);
      expect([r.status, r.reason, r.body.toString()]).toEqual([418, 'I am a teapot', 'teapot\n']);
      expect(r.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      const h = await http(`${g.url}/t/status`, { method: 'HEAD' });
      expect(h.status).toBe(418);
      expect(h.body.length).toBe(0);
      expect(h.headers['content-length']).toBe('7');
    });

    it('serves a local Location internally and turns an absolute one into 302', async () => {
      const local = await http(`${g.url}/t/local`, { method: 'POST', body: 'ignored' });
      expect(local.status).toBe(200);
      expect(envOf(local.body)).toMatchObject({
        QUERY_STRING: 'from=local',
        REQUEST_METHOD: 'GET',
        PATH_INFO: '/env',
      });
      const away = await http(`${g.url}/t/away`);
      expect(away.status).toBe(302);
      expect(away.headers.location).toBe('http://example.test/elsewhere');
    });

    it('answers 502 and logs a line for a malformed response or a program that did not answer', async () => {
      logs.length = 0;
      expect((await http(`${g.url}/t/malformed`)).status).toBe(502);
      expect((await http(`${g.url}/t/fail`)).status).toBe(502);
      expect(logs.some((l) => l.includes('/t/malformed') && l.includes('bad gateway'))).toBe(true);
      expect(logs.some((l) => l.includes('/t/fail') && l.includes('exited with code 3: boom'))).toBe(true);
      // A complete answer is served whatever the exit status, as web servers do with CGI.
      const served = await http(`${g.url}/t/served-fail`);
      expect([served.status, served.body.toString()]).toEqual([200, 'valid, then exit 4\n']);
      expect(logs.some((l) => l.includes('exited with code 4; its response was served'))).toBe(true);
    });
  });
}

describe('CGI gateway limits', () => {
  it('serves cgit, a CGI program from a Debian package', async () => {
    const g = await gateway();
    const index = await http(`${g.url}/git/`);
    expect(index.status).toBe(200);
    expect(String(index.headers['content-type'])).toMatch(/text\/html/);
    expect(index.body.toString()).toContain('a repository for the gateway test');
    const tree = await http(`${g.url}/git/aloft/tree/`);
    expect(tree.status).toBe(200);
    expect(tree.body.toString()).toContain('README');
    const log = await http(`${g.url}/git/aloft/log/`);
    expect(log.body.toString()).toContain('first commit through a container per request');
  });

  it('answers 413 for a body past the limit and 502 for a response past it', async () => {
    const g = await gateway({ maxRequestBytes: 1000, maxResponseBytes: 50_000 });
    expect((await http(`${g.url}/t/echo`, { method: 'POST', body: 'x'.repeat(2000) })).status).toBe(413);
    expect(
      (await http(`${g.url}/t/echo`, { method: 'POST', chunks: ['x'.repeat(600), 'y'.repeat(600)] })).status,
    ).toBe(413);
    expect((await http(`${g.url}/t/big`)).status).toBe(502);
    expect(await containers()).toBe(0);
  });

  it('streams a long body as the program writes it, and cuts it at the response limit', async () => {
    const g = await gateway();
    const big = await http(`${g.url}/t/big`);
    expect([big.status, big.body.length, big.headers['transfer-encoding']]).toEqual([
      200,
      300_000,
      'chunked',
    ]);
    // /drip writes 100 KB, then sleeps: the client has them while the program still runs.
    const leave = new AbortController();
    const first = await new Promise<{ status?: number; running: number }>((resolve, reject) => {
      const req = httpRequest(`${g.url}/t/drip`, { signal: leave.signal, agent: false }, (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          if (n === 100_000)
            void containers('running').then((running) => resolve({ status: res.statusCode, running }));
        });
        res.on('error', () => {});
      });
      req.on('error', (e) => (leave.signal.aborted ? undefined : reject(e)));
      req.end();
    });
    expect(first).toEqual({ status: 200, running: 1 });
    expect(g.inFlight()).toBe(1);
    leave.abort();
    await eventually(
      async () => (await containers()) === 0 && g.inFlight() === 0,
      'the container of the client that left mid-stream is removed',
    );
    // Past the limit once streaming, the status is gone: the connection is cut, never a short 200.
    const small = await gateway({ maxResponseBytes: 100_000 });
    logs.length = 0;
    await expect(http(`${small.url}/t/big`)).rejects.toThrow();
    expect(logs.some((l) => l.includes('the streamed response was cut'))).toBe(true);
    await eventually(async () => (await containers()) === 0, 'the cut container is removed');
  });

  it('kills a program past the timeout and answers 504', async () => {
    const g = await gateway({ timeoutMs: 1500 });
    const r = await http(`${g.url}/t/sleep`);
    expect(r.status).toBe(504);
    await eventually(async () => (await containers()) === 0, 'the timed-out container is removed');
  });

  it('answers 429 at once past the in-flight limit, and kills the containers of clients that leave', async () => {
    const g = await gateway({ maxInFlight: 2 });
    const leave = new AbortController();
    const slow = [1, 2].map(() => http(`${g.url}/t/sleep`, { signal: leave.signal }).catch((e: Error) => e));
    await eventually(
      async () => g.inFlight() === 2 && (await containers('running')) === 2,
      'two sleeping containers run',
    );
    const r = await http(`${g.url}/t/`);
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBe('1');
    leave.abort();
    await Promise.all(slow);
    await eventually(
      async () => (await containers()) === 0 && g.inFlight() === 0,
      'the abandoned containers are removed',
    );
    expect(logs.some((l) => l.includes('client went away'))).toBe(true);
  });

  it('sweeps containers a crashed gateway left behind', async () => {
    const docker = dockerClient();
    const orphan = await docker.createContainer({
      Image: TEST_CGI_IMAGE,
      Labels: { [FUNCTION_LABEL]: SCOPE },
    });
    const g = await gateway({ sweep: true });
    expect(logs.some((l) => l.includes('swept 1 container'))).toBe(true);
    await expect(docker.getContainer(orphan.id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await g.close();
  });

  it('leaves no container behind after 500 mixed requests', async () => {
    // 500 by default (the number); ALOFT_FN_REQUESTS lowers it for a quick local run.
    // Each request is a real container: on a 2-core machine under heavy load from other tests
    // (load average 40) this took ~10 minutes, hence the generous timeout below.
    const N = Number(process.env.ALOFT_FN_REQUESTS ?? 500);
    const g = await gateway({ warm: 12, maxInFlight: 64 });
    const t0 = Date.now();
    const kinds = ['/t/?n=', '/t/echo', '/t/status', '/t/malformed', '/t/local', '/t/fail'];
    const expected = [200, 200, 418, 502, 200, 502];
    const counts = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < N; i = next++) {
        const k = i % kinds.length;
        const r = await http(
          `${g.url}${kinds[k]}${k === 0 ? i : ''}`,
          k === 1 ? { method: 'POST', body: `body ${i}` } : {},
        );
        expect(r.status).toBe(expected[k]);
        if (k === 0) expect(r.body.toString()).toBe(`hello n=${i}\n`);
        if (k === 1) expect(r.body.toString()).toBe(`body ${i}`);
        counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 12 }, worker));
    // Not asserted (the machine is shared); printed so a slow run can be told from a hung one.
    console.log(`${N} requests took ${Date.now() - t0} ms`);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(N);
    await g.close();
    expect(await containers()).toBe(0);
  }, 900_000);
});
