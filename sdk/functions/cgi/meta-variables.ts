import { CgiError } from '../errors.js';

/** What the gateway knows about one request, before it becomes CGI meta-variables. */
export interface CgiRequest {
  method: string;
  /** The request path as sent, still percent-encoded, without the query. */
  path: string;
  /** Everything after '?', as sent (not decoded: RFC 3875 4.1.7). */
  query: string;
  /** The route's prefix: becomes SCRIPT_NAME. */
  scriptName: string;
  /** Header names and values in order, as Node's rawHeaders (name, value, name, value, ...). */
  rawHeaders: string[];
  remoteAddr: string;
  remotePort?: number;
  serverName: string;
  serverPort: number;
  /** e.g. "HTTP/1.1" */
  protocol: string;
  software: string;
  /** Length of the (de-chunked) body; 0 means none. */
  contentLength: number;
  /** Pass the Authorization header as HTTP_AUTHORIZATION (off by default, RFC 3875 4.1.18). */
  passAuthorization?: boolean;
}

// Headers that become their own meta-variables, or must never reach the program:
// Proxy would become HTTP_PROXY, which many HTTP clients take as their proxy (httpoxy, CVE-2016-5385).
const NOT_PASSED = new Set([
  'content-length',
  'content-type',
  'proxy',
  'authorization',
  'connection',
  'transfer-encoding',
]);

const HEADER_NAME = /^[A-Za-z0-9-]+$/;

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * PATH_INFO is the part of the path after SCRIPT_NAME, percent-decoded (RFC 3875 4.1.5). A
 * decoded control character (e.g. %0A) is refused: it could split the environment block the
 * warm pool sends.
 */
export function pathInfo(path: string, scriptName: string): string {
  const rest = path.slice(scriptName.length);
  let decoded: string;
  try {
    decoded = decodeURIComponent(rest);
  } catch {
    throw new CgiError('CGI_BAD_REQUEST', `path '${path}' has a bad percent-encoding`);
  }
  if (hasControl(decoded))
    throw new CgiError('CGI_BAD_REQUEST', `path '${path}' decodes to a control character`);
  return decoded;
}

/** The request meta-variables of RFC 3875 section 4.1, plus HTTP_* for the request's headers. */
export function buildMetaVariables(req: CgiRequest): Record<string, string> {
  const env: Record<string, string> = {
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: req.method,
    QUERY_STRING: req.query,
    SCRIPT_NAME: req.scriptName,
    SERVER_NAME: req.serverName,
    SERVER_PORT: String(req.serverPort),
    SERVER_PROTOCOL: req.protocol,
    SERVER_SOFTWARE: req.software,
    REMOTE_ADDR: req.remoteAddr,
    // Not in RFC 3875, but most CGI programs (cgit among them) look for it.
    REQUEST_URI: req.query ? `${req.path}?${req.query}` : req.path,
  };
  if (req.remotePort !== undefined) env.REMOTE_PORT = String(req.remotePort);
  const info = pathInfo(req.path, req.scriptName);
  if (info) env.PATH_INFO = info;
  if (req.contentLength > 0) env.CONTENT_LENGTH = String(req.contentLength);
  const merged = new Map<string, string[]>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i];
    const value = req.rawHeaders[i + 1];
    const lower = name.toLowerCase();
    if (lower === 'content-type') env.CONTENT_TYPE = value;
    if (NOT_PASSED.has(lower) && !(lower === 'authorization' && req.passAuthorization)) continue;
    // Names with '_' are dropped: "X_Forwarded_For" must not masquerade as X-Forwarded-For.
    if (!HEADER_NAME.test(name) || hasControl(value)) continue;
    const key = `HTTP_${lower.toUpperCase().replaceAll('-', '_')}`;
    const list = merged.get(key);
    if (list) list.push(value);
    else merged.set(key, [value]);
  }
  // Repeated headers are merged with ", " as RFC 9110 5.3 allows; Cookie uses "; " (RFC 6265 5.4).
  for (const [key, values] of merged) env[key] = values.join(key === 'HTTP_COOKIE' ? '; ' : ', ');
  for (const [k, v] of Object.entries(env))
    if (hasControl(v)) throw new CgiError('CGI_BAD_REQUEST', `${k} would contain a control character`);
  return env;
}

/** The environment block the warm pool's shell prologue reads: one NAME=value a line, then an empty line. */
export function encodeEnvBlock(env: Record<string, string>): string {
  let out = '';
  for (const [k, v] of Object.entries(env)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) || /[\n\r\0]/.test(v))
      throw new CgiError('CGI_BAD_REQUEST', `environment variable ${k} cannot be passed on stdin`);
    out += `${k}=${v}\n`;
  }
  return `${out}\n`;
}
