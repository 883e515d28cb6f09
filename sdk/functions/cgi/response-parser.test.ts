import { describe, expect, it } from 'vitest';
import { isCgiError } from '../errors.js';
import { CgiResponseParser, classify } from './response-parser.js';

/** Feeds a whole response one byte at a time, as STYLE.md asks of every streaming parser. */
function byteByByte(text: string | Buffer) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const parser = new CgiResponseParser();
  const body: Buffer[] = [];
  for (let i = 0; i < bytes.length; i++) body.push(parser.push(bytes.subarray(i, i + 1)));
  return { head: parser.end(), body: Buffer.concat(body).toString('latin1') };
}

function whole(text: string) {
  const parser = new CgiResponseParser();
  const body = parser.push(Buffer.from(text, 'latin1'));
  return { head: parser.end(), body: body.toString('latin1') };
}

const cases: Array<[string, string]> = [
  ['LF', 'Content-Type: text/plain\nX-A: 1\n\nhello\n\nworld'],
  ['CRLF', 'Content-Type: text/plain\r\nX-A: 1\r\n\r\nhello\r\n\r\nworld'],
  ['mixed', 'Content-Type: text/plain\r\nX-A: 1\n\r\nhello\n\nworld'],
];

describe('CgiResponseParser', () => {
  for (const [name, text] of cases) {
    it(`parses a ${name} response the same whole or one byte at a time`, () => {
      const a = byteByByte(text);
      const b = whole(text);
      expect(a).toEqual(b);
      expect(a.head.contentType).toBe('text/plain');
      expect(a.head.headers).toEqual([['X-A', '1']]);
      expect(a.body.replaceAll('\r', '')).toBe('hello\n\nworld');
    });
  }

  it('reads Status, Location and keeps repeated headers, dropping hop-by-hop ones', () => {
    const { head } = byteByByte(
      'Status: 404 Not Here\nContent-Type: text/html\nSet-Cookie: a=1\nSet-Cookie: b=2\nConnection: close\nContent-Length: 99\n\n',
    );
    expect(head.status).toEqual({ code: 404, reason: 'Not Here' });
    expect(head.headers).toEqual([
      ['Set-Cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ]);
  });

  it('keeps binary body bytes intact', () => {
    const body = Buffer.from([0, 1, 2, 0x0a, 0x0a, 0xff, 0x0d]);
    const parser = new CgiResponseParser();
    const out: Buffer[] = [];
    const all = Buffer.concat([Buffer.from('Content-Type: application/octet-stream\n\n'), body]);
    for (let i = 0; i < all.length; i++) out.push(parser.push(all.subarray(i, i + 1)));
    expect(Buffer.concat(out)).toEqual(body);
  });

  const malformed: Array<[string, string]> = [
    ['empty output', ''],
    ['no blank line', 'Content-Type: text/plain\nhello'],
    ['a line without a colon', 'hello world\n\n'],
    ['a blank line first', '\nContent-Type: text/plain\n\n'],
    ['a bad status', 'Status: ok\nContent-Type: text/plain\n\n'],
    ['a header name with a space', 'Content Type: text/plain\n\n'],
    ['a folded header line', 'Content-Type: text/plain\n folded\n\n'],
  ];
  for (const [name, text] of malformed) {
    it(`refuses ${name}`, () => {
      let error: unknown;
      try {
        byteByByte(text);
      } catch (e) {
        error = e;
      }
      expect(isCgiError(error) && error.code).toBe('CGI_MALFORMED_RESPONSE');
    });
  }

  it('refuses a header section past its limit', () => {
    const parser = new CgiResponseParser(100);
    expect(() => parser.push(Buffer.from(`X-Long: ${'a'.repeat(200)}`))).toThrow(/longer than 100/);
  });
});

describe('classify', () => {
  it('serves a lone local Location internally', () => {
    expect(classify({ location: '/other?x=1', headers: [] }, 0)).toEqual({
      kind: 'local-redirect',
      path: '/other?x=1',
    });
  });
  it('turns an absolute URL into 302, or the given Status', () => {
    expect(classify({ location: 'http://example.test/', headers: [] }, 0)).toMatchObject({
      kind: 'client-redirect',
      status: 302,
    });
    expect(
      classify({ location: 'https://x.test/', status: { code: 301, reason: 'Moved' }, headers: [] }, 0),
    ).toMatchObject({ status: 301 });
  });
  it('needs a Content-Type for a body', () => {
    expect(() => classify({ headers: [['X', '1']] }, 3)).toThrow(/no Content-Type/);
    expect(classify({ status: { code: 204, reason: 'No Content' }, headers: [] }, 0)).toMatchObject({
      status: 204,
    });
  });
  it('refuses a relative Location that is not a path', () => {
    expect(() => classify({ location: 'elsewhere', headers: [] }, 0)).toThrow(/neither a local path/);
  });
});
