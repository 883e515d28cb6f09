import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import type { Backend, FunctionSpec } from '../backend.js';
import { LocalBackend } from '../backends/local.js';
import { WarmPool } from '../backends/warm-pool.js';
import { collect } from '../collect.js';
import { CgiError, isCgiError, isFunctionError } from '../errors.js';
import { functionLabels, sweepFunctions } from '../labels.js';
import { buildMetaVariables } from './meta-variables.js';
import { plain, type Reply, send, toReply } from './reply.js';
import { BodyTooLarge, readBody } from './request-body.js';
import { CgiResponseParser } from './response-parser.js';
import { type CgiRoute, matchRoute, validateRoutes } from './routes.js';

export interface GatewayOptions {
  routes: CgiRoute[];
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Name of this gateway: the label scope of its containers, swept at start. Default "default". */
  name?: string;
  /** Kill the container and answer 504 after this long (default 30 s). */
  timeoutMs?: number;
  /** Requests served at once; one more gets 429 at once (default 32). */
  maxInFlight?: number;
  /** 413 beyond this (default 1 MiB). */
  maxRequestBytes?: number;
  /**
   * Response body cap (default 8 MiB): 502 while the body is still buffered (up to 64 KiB),
   * a cut connection once it streams.
   */
  maxResponseBytes?: number;
  /** Memory per container unless a route says otherwise (default 256 MiB). */
  memoryBytes?: number;
  /** Network of the containers unless a route says otherwise (default "none"). */
  network?: string;
  /** Containers kept created per route (default 0: cold per-request containers). */
  warm?: number;
  /** Where containers run (default the local engine). A warm pool applies only to the local engine. */
  backend?: Backend;
  /** Pass Authorization as HTTP_AUTHORIZATION (default false). */
  passAuthorization?: boolean;
  /** Sweep this gateway's leftovers at start (default true). */
  sweep?: boolean;
  /** One line per notable event (malformed responses, kills); default stderr. */
  log?: (line: string) => void;
}

export interface Gateway {
  readonly url: string;
  readonly port: number;
  /** Requests being served now. */
  inFlight(): number;
  /** Stops accepting, kills running containers, removes pooled ones. */
  close(): Promise<void>;
}

const SOFTWARE = 'aloft-cgi/0.1';
const MAX_LOCAL_REDIRECTS = 5;
const STREAM_AFTER_BYTES = 64 * 1024;

/** Starts a CGI/1.1 gateway that runs one container per request (RFC 3875). */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  validateRoutes(options.routes);
  const name = options.name ?? 'default';
  const scope = `gateway.${name}`;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxInFlight = options.maxInFlight ?? 32;
  const maxRequest = options.maxRequestBytes ?? 1024 * 1024;
  const maxResponse = options.maxResponseBytes ?? 8 * 1024 * 1024;
  const backend = options.backend ?? new LocalBackend();
  if (options.sweep !== false) {
    const n = await sweepFunctions({ scope });
    if (n > 0) log(`cgi: swept ${n} container(s) left by an earlier run of gateway ${name}`);
  }
  const specs = new Map<CgiRoute, FunctionSpec>();
  const pools = new Map<CgiRoute, WarmPool>();
  for (const route of options.routes) {
    const spec: FunctionSpec = {
      image: route.image,
      args: route.args,
      env: route.env,
      binds: route.binds,
      user: route.user,
      // No network unless asked for: a per-request sandbox needs none, and a container without
      // a network namespace to wire up starts noticeably faster.
      network: route.network ?? options.network ?? 'none',
      memoryBytes: route.memoryBytes ?? options.memoryBytes ?? 256 * 1024 * 1024,
      nanoCpus: route.nanoCpus,
      labels: functionLabels(scope, { 'io.aloft.functions.route': route.path }),
    };
    specs.set(route, spec);
    const warm = route.warm ?? options.warm ?? 0;
    if (warm > 0 && backend.name === 'local')
      pools.set(
        route,
        new WarmPool(spec, {
          size: warm,
          onError: (e) => log(`cgi: warm pool for ${route.path}: ${e.message}`),
        }),
      );
  }
  let inFlight = 0;
  const killers = new Set<AbortController>();
  let port = 0;

  async function execute(
    route: CgiRoute,
    env: Record<string, string>,
    body: Buffer,
    signal: AbortSignal,
  ): Promise<Reply> {
    const spec = specs.get(route) as FunctionSpec;
    const pool = pools.get(route);
    const execution = pool
      ? await pool.start({ env }, body)
      : await backend.start({ ...spec, env: { ...spec.env, ...env } }, body.length > 0 ? body : undefined);
    const parser = new CgiResponseParser();
    const parts: Buffer[] = [];
    let size = 0;
    // A body longer than STREAM_AFTER_BYTES is streamed: its head is answered at that point and
    // the rest is piped through with backpressure. Shorter ones are answered whole, once the
    // program ended, so that its exit status can still turn them into a 502.
    let stream: PassThrough | undefined;
    let streamed!: (reply: Reply) => void;
    const committed = new Promise<Reply>((resolve) => (streamed = resolve));
    const run = collect(execution, route.image, {
      timeoutMs,
      signal,
      onStdout: (chunk) => {
        const bodyPart = parser.push(chunk);
        size += bodyPart.length;
        if (size > maxResponse)
          throw new CgiError('CGI_MALFORMED_RESPONSE', `the response is larger than ${maxResponse} bytes`);
        if (stream) {
          if (!stream.write(bodyPart)) {
            execution.stdout.pause();
            stream.once('drain', () => execution.stdout.resume());
          }
          return;
        }
        if (bodyPart.length > 0) parts.push(bodyPart);
        if (size > STREAM_AFTER_BYTES) {
          const reply = toReply(parser.end(), Buffer.concat(parts));
          stream = new PassThrough();
          parts.length = 0;
          streamed({ ...reply, stream });
        }
      },
    });
    const finished = run.then(({ exitCode, stderr }) => {
      const tail = stderr.toString('utf8').trim().split('\n').slice(-1)[0] ?? '';
      const exited = `the program exited with code ${exitCode}${tail ? `: ${tail.slice(0, 200)}` : ''}`;
      if (stream) {
        if (exitCode !== 0) log(`cgi: ${route.path}: ${exited} after its response was streamed`);
        stream.end();
        return undefined;
      }
      if (exitCode === 0) return toReply(parser.end(), Buffer.concat(parts));
      // A complete, valid response is served whatever the exit status (as web servers do with
      // CGI); only a program that failed to answer is a bad gateway.
      let reply: Reply;
      try {
        reply = toReply(parser.end(), Buffer.concat(parts));
      } catch {
        throw new CgiError('CGI_MALFORMED_RESPONSE', exited);
      }
      log(`cgi: ${route.path}: ${exited}; its response was served`);
      return reply;
    });
    finished.catch((e) => {
      // Once streaming, the status is gone: cut the connection so the client sees a failure.
      if (stream) {
        log(`cgi: ${route.path}: the streamed response was cut: ${(e as Error).message}`);
        stream.destroy(e as Error);
      }
    });
    return (await Promise.race([committed, finished])) ?? (await committed);
  }

  async function serve(req: IncomingMessage, body: Buffer, signal: AbortSignal): Promise<Reply> {
    let method = req.method ?? 'GET';
    let target = req.url ?? '/';
    let payload = body;
    for (let hop = 0; ; hop++) {
      const q = target.indexOf('?');
      const path = q < 0 ? target : target.slice(0, q);
      const query = q < 0 ? '' : target.slice(q + 1);
      const route = matchRoute(options.routes, path);
      if (!route) return plain(404, `no route serves ${path}`);
      const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
      const env = buildMetaVariables({
        method,
        path,
        query,
        scriptName: route.path,
        rawHeaders:
          hop === 0 ? req.rawHeaders : req.rawHeaders.filter((_, i, a) => !/^content-/i.test(a[i - (i % 2)])),
        remoteAddr: req.socket.remoteAddress ?? '',
        remotePort: req.socket.remotePort,
        serverName: host || (options.host ?? '127.0.0.1'),
        serverPort: port,
        protocol: `HTTP/${req.httpVersion}`,
        software: SOFTWARE,
        contentLength: payload.length,
        passAuthorization: options.passAuthorization,
      });
      const reply = await execute(route, env, payload, signal);
      if (reply.status !== 0) return reply;
      if (hop >= MAX_LOCAL_REDIRECTS)
        throw new CgiError('CGI_MALFORMED_RESPONSE', `more than ${MAX_LOCAL_REDIRECTS} local redirects`);
      // RFC 3875 6.2.2: serve the new path as if the client had asked for it with GET.
      target = reply.headers[0][1];
      method = 'GET';
      payload = Buffer.alloc(0);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (inFlight >= maxInFlight) {
      send(
        res,
        req,
        plain(429, `more than ${maxInFlight} requests in flight: retry later`, [['Retry-After', '1']]),
        true,
      );
      return;
    }
    inFlight++;
    const killer = new AbortController();
    killers.add(killer);
    // A client that goes away before its answer gets its container killed.
    const onClose = () => {
      if (!res.writableFinished) killer.abort();
    };
    res.once('close', onClose);
    try {
      let body: Buffer;
      try {
        body = await readBody(req, maxRequest);
      } catch (e) {
        if (e instanceof BodyTooLarge)
          send(res, req, plain(413, `request body larger than ${maxRequest} bytes`), true);
        else res.destroy();
        return;
      }
      const reply = await serve(req, body, killer.signal);
      // A streamed reply keeps the request in flight (and its container killable) until it ends.
      await send(res, req, reply, false);
    } catch (e) {
      if (killer.signal.aborted) {
        log(`cgi: ${req.method} ${req.url}: client went away; its container was killed`);
        return;
      }
      if (isFunctionError(e) && e.code === 'FN_TIMEOUT') {
        log(`cgi: ${req.method} ${req.url}: ${e.message}`);
        send(res, req, plain(504, 'the CGI program timed out'), false);
      } else if (isCgiError(e) && e.code === 'CGI_BAD_REQUEST') {
        send(res, req, plain(400, e.message), false);
      } else {
        log(`cgi: ${req.method} ${req.url}: bad gateway: ${(e as Error).message}`);
        send(res, req, plain(502, 'bad gateway: the CGI program failed'), false);
      }
    } finally {
      inFlight--;
      killers.delete(killer);
      res.off('close', onClose);
    }
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      log(`cgi: internal error: ${(e as Error).message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = (options.host ?? '127.0.0.1').includes(':')
    ? `[${options.host}]`
    : (options.host ?? '127.0.0.1');
  return {
    url: `http://${shownHost}:${port}`,
    port,
    inFlight: () => inFlight,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const k of killers) k.abort();
      while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
      await Promise.all([...pools.values()].map((p) => p.close()));
      await closed;
    },
  };
}
