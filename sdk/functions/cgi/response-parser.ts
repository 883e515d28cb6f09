import { CgiError } from '../errors.js';

/** A CGI response's header section, parsed (RFC 3875 section 6). */
export interface CgiHead {
  status?: { code: number; reason: string };
  contentType?: string;
  location?: string;
  /** Every other header, in order, names as the program wrote them. */
  headers: Array<[string, string]>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Hop-by-hop and framing headers belong to the gateway's own connection, not the program's.
const DROPPED = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'trailer',
  'te',
]);

/**
 * Incremental parser of a CGI program's stdout: feed it chunks of any size (one byte at a time
 * works); it finds the header section, ended by an empty line (LF or CRLF), and hands back the
 * body bytes that follow. It throws CGI_MALFORMED_RESPONSE for anything RFC 3875 does not allow.
 */
export class CgiResponseParser {
  head: CgiHead | undefined;
  private pending: Buffer[] = [];
  private pendingSize = 0;
  constructor(private readonly maxHeaderBytes = 64 * 1024) {}

  /** Returns the body bytes in this chunk (empty while the header section is still coming). */
  push(chunk: Buffer): Buffer {
    if (this.head) return chunk;
    this.pending.push(chunk);
    this.pendingSize += chunk.length;
    const all = this.pending.length === 1 ? chunk : Buffer.concat(this.pending);
    this.pending = [all];
    const end = findHeaderEnd(all, this.pendingSize - chunk.length);
    if (!end) {
      if (this.pendingSize > this.maxHeaderBytes)
        throw new CgiError(
          'CGI_MALFORMED_RESPONSE',
          `the header section is longer than ${this.maxHeaderBytes} bytes`,
        );
      return Buffer.alloc(0);
    }
    this.head = parseHead(all.subarray(0, end.headerEnd).toString('latin1'));
    this.pending = [];
    return all.subarray(end.bodyStart);
  }

  /** Call at the end of stdout: a response that never finished its header section is malformed. */
  end(): CgiHead {
    if (!this.head) {
      throw new CgiError(
        'CGI_MALFORMED_RESPONSE',
        this.pendingSize === 0
          ? 'the program wrote nothing to stdout'
          : 'stdout ended before the empty line that ends the headers',
      );
    }
    return this.head;
  }
}

/** Where the header section ends: "\n\n" or "\r\n\r\n" (or a mix). Searches from just before `from`. */
function findHeaderEnd(buf: Buffer, from: number): { headerEnd: number; bodyStart: number } | undefined {
  // A blank line at the very start is an empty header section, which is not a valid response.
  for (let i = Math.max(0, from - 3); i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (i === 0 || (i === 1 && buf[0] === 0x0d)) return { headerEnd: 0, bodyStart: i + 1 };
    if (buf[i - 1] === 0x0a) return { headerEnd: i - 1, bodyStart: i + 1 };
    if (buf[i - 1] === 0x0d && buf[i - 2] === 0x0a) return { headerEnd: i - 2, bodyStart: i + 1 };
  }
  return undefined;
}

export function parseHead(text: string): CgiHead {
  const head: CgiHead = { headers: [] };
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.length === 1 && lines[0] === '')
    throw new CgiError('CGI_MALFORMED_RESPONSE', 'the response has no header fields');
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0)
      throw new CgiError(
        'CGI_MALFORMED_RESPONSE',
        `header line ${JSON.stringify(line.slice(0, 80))} has no "name:"`,
      );
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).trim();
    if (!TOKEN.test(name))
      throw new CgiError(
        'CGI_MALFORMED_RESPONSE',
        `header name ${JSON.stringify(name.slice(0, 80))} is not a token`,
      );
    if (/[\0\r]/.test(value))
      throw new CgiError('CGI_MALFORMED_RESPONSE', `header ${name} has a control character`);
    const lower = name.toLowerCase();
    if (lower === 'status') {
      const m = /^([1-5]\d\d)(?:\s+(.*))?$/.exec(value);
      if (!m || head.status)
        throw new CgiError('CGI_MALFORMED_RESPONSE', `Status ${JSON.stringify(value)} is not "NNN reason"`);
      head.status = { code: Number(m[1]), reason: m[2] ?? '' };
    } else if (lower === 'content-type') {
      if (head.contentType !== undefined)
        throw new CgiError('CGI_MALFORMED_RESPONSE', 'Content-Type appears twice');
      head.contentType = value;
    } else if (lower === 'location') {
      if (head.location !== undefined || value === '')
        throw new CgiError('CGI_MALFORMED_RESPONSE', 'Location is empty or appears twice');
      head.location = value;
    } else if (!DROPPED.has(lower)) {
      head.headers.push([name, value]);
    }
  }
  return head;
}

export type CgiResponseKind =
  | { kind: 'local-redirect'; path: string }
  | { kind: 'client-redirect'; status: number; reason: string; location: string }
  | { kind: 'document'; status: number; reason: string };

/**
 * What the gateway must do with a parsed response (RFC 3875 6.2): a local Location with
 * nothing else is served internally; an absolute URL (or a local one with a document) is a
 * client redirect, 302 unless the program set a Status; otherwise a document, 200 by default.
 */
export function classify(head: CgiHead, bodyLength: number): CgiResponseKind {
  if (head.location !== undefined) {
    const local = head.location.startsWith('/') && !head.location.startsWith('//');
    if (
      local &&
      !head.status &&
      head.contentType === undefined &&
      head.headers.length === 0 &&
      bodyLength === 0
    )
      return { kind: 'local-redirect', path: head.location };
    if (!local && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(head.location))
      throw new CgiError(
        'CGI_MALFORMED_RESPONSE',
        `Location ${JSON.stringify(head.location)} is neither a local path nor an absolute URL`,
      );
    const status = head.status ?? { code: 302, reason: 'Found' };
    return { kind: 'client-redirect', status: status.code, reason: status.reason, location: head.location };
  }
  if (head.contentType === undefined && bodyLength > 0)
    throw new CgiError('CGI_MALFORMED_RESPONSE', 'the response has a body but no Content-Type');
  if (head.contentType === undefined && !head.status)
    throw new CgiError(
      'CGI_MALFORMED_RESPONSE',
      'the response has neither Content-Type, Location nor Status',
    );
  const status = head.status ?? { code: 200, reason: 'OK' };
  return { kind: 'document', status: status.code, reason: status.reason };
}
