import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChaosEngine } from './engine.js';
import { CHAOS_VERSION, ENTROPY_API_VERSION } from './engine.js';
import { ChaosError, isChaosError } from './errors.js';
import { describeFault } from './faults.js';
import type { Policy } from './types.js';

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 2476;
const MAX_BODY = 64 * 1024;

export interface ServeOptions {
  host?: string;
  port?: number;
  /** Required for any address other than loopback; checked on every request when set. */
  token?: string;
}

export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\./.test(host);

/**
 * The policy as the API shows it: Aloft's fields (failures as spec strings) plus Entropy's
 * capitalised string fields (Name, Criteria, Frequency, Probability, Image, Faults), which is
 * what Entropy's client and scripts written against it read (buildertools/entropy policy.go).
 */
export const policyView = (p: Policy) => ({
  Name: p.name,
  Criteria: p.criteria.join(','),
  Frequency: String(p.frequency),
  Probability: String(p.probability),
  Image: p.image,
  Faults: p.failures.map(describeFault).join(','),
  ...p,
  failures: p.failures.map(describeFault),
});

const STATUS: Partial<Record<string, number>> = {
  CHAOS_BAD_POLICY: 400,
  CHAOS_BAD_FAULT: 400,
  CHAOS_NETEM_UNAVAILABLE: 400,
  CHAOS_PATH_UNAVAILABLE: 400,
  CHAOS_NO_SUCH_POLICY: 404,
  CHAOS_POLICY_EXISTS: 409,
  CHAOS_UNAUTHORIZED: 401,
};

/**
 * Entropy's HTTP API (POST/GET /policy/, DELETE /policy/:name, GET /injector/, /_ping,
 * /version) plus GET /info and GET /events. This API can stop, kill and pause containers:
 * it listens on loopback unless told otherwise, and then only with a token.
 */
export async function serveChaos(
  engine: ChaosEngine,
  o: ServeOptions = {},
): Promise<{ server: Server; url: string }> {
  const host = o.host ?? DEFAULT_HOST;
  if (!isLoopback(host) && !o.token)
    throw new ChaosError(
      'CHAOS_TOKEN_REQUIRED',
      `listening on ${host} lets others stop your containers: give --token (or ALOFT_CHAOS_TOKEN), or use 127.0.0.1`,
    );
  const server = createServer((req, res) => {
    handle(engine, o.token, req, res).catch((e) => sendError(res, e));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? DEFAULT_PORT, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return { server, url: `http://${shown}:${addr.port}` };
}

async function handle(
  engine: ChaosEngine,
  token: string | undefined,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  if (token && !authorized(req, url, token))
    throw new ChaosError('CHAOS_UNAUTHORIZED', 'missing or wrong token: send Authorization: Bearer <token>');
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const method = req.method ?? 'GET';
  if (method === 'GET' && path === '/_ping') return send(res, 200, 'OK', 'text/plain');
  if (method === 'GET' && path === '/version')
    return sendJson(res, 200, {
      Version: CHAOS_VERSION,
      ApiVersion: ENTROPY_API_VERSION,
      Name: 'aloft-chaos',
    });
  if (method === 'GET' && path === '/info') return sendJson(res, 200, engine.info());
  if (method === 'GET' && path === '/policy') return sendJson(res, 200, engine.policies().map(policyView));
  if (method === 'POST' && path === '/policy') {
    const policy = engine.createPolicy(await readBody(req));
    return sendJson(res, 201, policyView(policy));
  }
  const del = /^\/policy\/([^/]+)$/.exec(path);
  if (method === 'DELETE' && del) {
    await engine.deletePolicy(decodeURIComponent(del[1]));
    return sendJson(res, 200, { Ok: true, deleted: decodeURIComponent(del[1]) });
  }
  if (method === 'GET' && path === '/injector')
    return sendJson(
      res,
      200,
      engine.injections().map((i) => {
        const p = engine.policies().find((x) => x.name === i.policy);
        return {
          // Entropy's injector fields first (buildertools/entropy injector.go), then Aloft's.
          Name: `${i.policy}_${i.target.id.slice(0, 12)}`,
          TargetCID: i.target.id,
          Criteria: p?.criteria.join(',') ?? '',
          Frequency: String(p?.frequency ?? ''),
          Probability: String(p?.probability ?? ''),
          Image: p?.image ?? '',
          Faults: p?.failures.map(describeFault) ?? [],
          Status: i.dryRun ? 'dry-run' : 'active',
          policy: i.policy,
          target: { id: i.target.id.slice(0, 12), name: i.target.name },
          dryRun: i.dryRun,
        };
      }),
    );
  if (method === 'GET' && path === '/events') return streamEvents(engine, url, req, res);
  return sendJson(res, 404, { error: `no route ${method} ${url.pathname}`, code: 'CHAOS_API' });
}

function authorized(req: IncomingMessage, url: URL, token: string): boolean {
  const auth = req.headers.authorization ?? '';
  const given = auth.startsWith('Bearer ')
    ? auth.slice(7)
    : (req.headers['x-aloft-token'] ?? url.searchParams.get('token'));
  return given === token;
}

function streamEvents(engine: ChaosEngine, url: URL, req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' });
  if (url.searchParams.get('backlog') !== '0')
    for (const e of engine.audit.recent()) res.write(`${JSON.stringify(e)}\n`);
  const off = engine.audit.subscribe((e) => res.write(`${JSON.stringify(e)}\n`));
  req.on('close', off);
}

/** Form-encoded (as Entropy's client posts; repeated keys become arrays) or JSON. */
async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new ChaosError('CHAOS_BAD_POLICY', `request body over ${MAX_BODY} bytes`);
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const type = req.headers['content-type'] ?? '';
  if (type.includes('json') || /^\s*\{/.test(text)) {
    try {
      const v = JSON.parse(text);
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      return v as Record<string, unknown>;
    } catch (e) {
      throw new ChaosError('CHAOS_BAD_POLICY', `policy body is not a JSON object: ${(e as Error).message}`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prev = out[k];
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  return out;
}

function send(res: ServerResponse, status: number, body: string, type: string): void {
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

const sendJson = (res: ServerResponse, status: number, body: unknown) =>
  send(res, status, `${JSON.stringify(body)}\n`, 'application/json');

function sendError(res: ServerResponse, e: unknown): void {
  if (res.headersSent) return void res.end();
  const code = isChaosError(e) ? e.code : 'CHAOS_API';
  sendJson(res, STATUS[code] ?? (isChaosError(e) ? 400 : 500), { error: (e as Error).message, code });
}
