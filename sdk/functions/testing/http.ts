import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

export interface HttpReply {
  status: number;
  reason: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface HttpOptions {
  method?: string;
  headers?: Record<string, string | string[]>;
  body?: Buffer | string;
  /** Send the body in these pieces with Transfer-Encoding: chunked. */
  chunks?: string[];
  signal?: AbortSignal;
}

/** A plain HTTP/1.1 request that follows nothing and hides nothing (unlike fetch). */
export function http(url: string, options: HttpOptions = {}): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: options.method ?? 'GET', headers: options.headers, signal: options.signal, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            reason: res.statusMessage ?? '',
            headers: res.headers,
            body: Buffer.concat(parts),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.chunks) {
      req.setHeader('Transfer-Encoding', 'chunked');
      for (const c of options.chunks) req.write(c);
      req.end();
    } else req.end(options.body);
  });
}

export function envOf(body: Buffer): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of body.toString('utf8').split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}
