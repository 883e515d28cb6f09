import { ChaosError } from './errors.js';

/** A small client of the chaos API (what `aloft chaos create|ls|lsi|rm` use). */
export class ChaosClient {
  constructor(
    readonly url = process.env.ALOFT_CHAOS_URL ?? 'http://127.0.0.1:2476',
    private readonly token = process.env.ALOFT_CHAOS_TOKEN,
  ) {}

  async request(method: string, path: string, body?: URLSearchParams | object): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body instanceof URLSearchParams) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      payload = body.toString();
    } else if (body) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await fetch(new URL(path, this.url), {
        method,
        headers,
        body: payload,
        signal: AbortSignal.timeout(30_000),
      });
    } catch (e) {
      throw new ChaosError(
        'CHAOS_ENGINE_UNREACHABLE',
        `no chaos engine answers at ${this.url} (${(e as Error).message}): start one with \`aloft chaos serve\` or set --engine`,
      );
    }
    const text = await res.text();
    const data = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    if (!res.ok) {
      const err = data as { error?: string; code?: string };
      throw new ChaosError('CHAOS_API', `${err.error ?? text.trim()}${err.code ? ` (${err.code})` : ''}`);
    }
    return data;
  }
}
