import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type CgiHead, classify } from './response-parser.js';

/** What the gateway answers: a whole body, or its first part plus the stream of the rest. */
export interface Reply {
  /** 0: a local redirect, served internally (the path is the one header). */
  status: number;
  reason?: string;
  headers: Array<[string, string]>;
  body: Buffer;
  stream?: Readable;
}

export const plain = (status: number, text: string, extra: Array<[string, string]> = []): Reply => ({
  status,
  headers: [['Content-Type', 'text/plain; charset=utf-8'], ...extra],
  body: Buffer.from(`${text}\n`),
});

/** A parsed CGI head and the body so far, as the HTTP reply (RFC 3875 6.2). */
export function toReply(head: CgiHead, body: Buffer): Reply {
  const kind = classify(head, body.length);
  if (kind.kind === 'local-redirect') return { status: 0, headers: [['x-aloft-local', kind.path]], body };
  const headers: Array<[string, string]> = [...head.headers];
  if (head.contentType !== undefined) headers.unshift(['Content-Type', head.contentType]);
  if (kind.kind === 'client-redirect') headers.unshift(['Location', kind.location]);
  return { status: kind.status, reason: kind.reason, headers, body };
}

/** Writes the reply; resolves once it is out (a streamed one when its stream ended or failed). */
export async function send(
  res: ServerResponse,
  req: IncomingMessage,
  reply: Reply,
  closeConnection: boolean,
): Promise<void> {
  if (res.headersSent || res.destroyed) {
    reply.stream?.destroy();
    return;
  }
  for (const [k, v] of reply.headers) {
    const prev = res.getHeader(k);
    res.setHeader(k, prev === undefined ? v : [...(Array.isArray(prev) ? prev : [String(prev)]), v]);
  }
  // A streamed body's length is unknown: HTTP/1.1 chunks it, HTTP/1.0 ends it by closing.
  if (!reply.stream) res.setHeader('Content-Length', reply.body.length);
  // The rest of an unread body would otherwise be parsed as the next request.
  if (closeConnection) res.setHeader('Connection', 'close');
  res.statusCode = reply.status;
  if (reply.reason) res.statusMessage = reply.reason;
  // HEAD: same headers, no body (RFC 9110 9.3.2).
  if (req.method === 'HEAD' || !reply.stream) {
    reply.stream?.resume();
    res.end(req.method === 'HEAD' ? undefined : reply.body);
    return;
  }
  res.write(reply.body);
  // A failed stream destroys the response, so the client sees a cut connection, not a short body.
  await pipeline(reply.stream, res).catch(() => {});
}
