import { CgiError } from '../errors.js';

/** One path prefix served by one image. */
export interface CgiRoute {
  /** "/vote": serves /vote and /vote/... (the rest becomes PATH_INFO). "/" serves everything. */
  path: string;
  image: string;
  /** Replaces the image's CMD. */
  args?: string[];
  env?: Record<string, string>;
  binds?: string[];
  user?: string;
  network?: string;
  memoryBytes?: number;
  nanoCpus?: number;
  /** Warm pool size for this route (overrides the gateway's). */
  warm?: number;
}

export function validateRoutes(routes: CgiRoute[]): void {
  if (routes.length === 0)
    throw new CgiError('CGI_BAD_ROUTE', 'no routes given: add at least one, e.g. --route /hello=IMAGE');
  const seen = new Set<string>();
  for (const r of routes) {
    if (!r.path.startsWith('/') || (r.path.length > 1 && r.path.endsWith('/')) || /[?#%\s]/.test(r.path))
      throw new CgiError(
        'CGI_BAD_ROUTE',
        `route path '${r.path}' must start with '/', not end with '/', and hold no ?, #, % or space`,
      );
    if (!r.image) throw new CgiError('CGI_BAD_ROUTE', `route ${r.path} has no image`);
    if (seen.has(r.path)) throw new CgiError('CGI_BAD_ROUTE', `route ${r.path} is given twice`);
    seen.add(r.path);
  }
}

/** The longest route whose path is the request path or a whole-segment prefix of it. */
export function matchRoute(routes: CgiRoute[], path: string): CgiRoute | undefined {
  let best: CgiRoute | undefined;
  for (const r of routes) {
    const hit = r.path === '/' || path === r.path || path.startsWith(`${r.path}/`);
    if (hit && (!best || r.path.length > best.path.length)) best = r;
  }
  return best;
}

/** "/vote=IMAGE" from the command line. */
export function parseRoute(text: string): CgiRoute {
  const eq = text.indexOf('=');
  if (eq <= 0 || eq === text.length - 1)
    throw new CgiError('CGI_BAD_ROUTE', `route '${text}' must look like /path=IMAGE`);
  return { path: text.slice(0, eq), image: text.slice(eq + 1) };
}
