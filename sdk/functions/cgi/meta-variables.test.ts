import { describe, expect, it } from 'vitest';
import { buildMetaVariables, type CgiRequest, encodeEnvBlock } from './meta-variables.js';

const base: CgiRequest = {
  method: 'POST',
  path: '/vote/extra%20path',
  query: 'a=1&b=%20',
  scriptName: '/vote',
  rawHeaders: [],
  remoteAddr: '127.0.0.1',
  remotePort: 5000,
  serverName: 'localhost',
  serverPort: 8080,
  protocol: 'HTTP/1.1',
  software: 'aloft-cgi/0.1',
  contentLength: 5,
};

describe('buildMetaVariables', () => {
  it('sets the RFC 3875 variables', () => {
    const env = buildMetaVariables({
      ...base,
      rawHeaders: ['Content-Type', 'text/plain', 'Content-Length', '5'],
    });
    expect(env).toMatchObject({
      GATEWAY_INTERFACE: 'CGI/1.1',
      REQUEST_METHOD: 'POST',
      QUERY_STRING: 'a=1&b=%20',
      SCRIPT_NAME: '/vote',
      PATH_INFO: '/extra path',
      SERVER_NAME: 'localhost',
      SERVER_PORT: '8080',
      SERVER_PROTOCOL: 'HTTP/1.1',
      SERVER_SOFTWARE: 'aloft-cgi/0.1',
      REMOTE_ADDR: '127.0.0.1',
      CONTENT_LENGTH: '5',
      CONTENT_TYPE: 'text/plain',
    });
    expect(env.HTTP_CONTENT_TYPE).toBeUndefined();
    expect(env.HTTP_CONTENT_LENGTH).toBeUndefined();
  });

  it('merges repeated headers and maps names to HTTP_*', () => {
    const env = buildMetaVariables({
      ...base,
      rawHeaders: ['X-Thing', 'a', 'x-thing', 'b', 'Cookie', 'c=1', 'Cookie', 'd=2', 'Accept-Language', 'en'],
    });
    expect(env.HTTP_X_THING).toBe('a, b');
    expect(env.HTTP_COOKIE).toBe('c=1; d=2');
    expect(env.HTTP_ACCEPT_LANGUAGE).toBe('en');
  });

  it('never turns Proxy into HTTP_PROXY (httpoxy) and drops names with underscores', () => {
    const env = buildMetaVariables({
      ...base,
      rawHeaders: ['Proxy', 'http://evil:1', 'X_Forwarded_For', '1.2.3.4'],
    });
    expect(env.HTTP_PROXY).toBeUndefined();
    expect(env.HTTP_X_FORWARDED_FOR).toBeUndefined();
  });

  it('passes Authorization only when configured', () => {
    const raw = ['Authorization', 'Basic eDp5'];
    expect(buildMetaVariables({ ...base, rawHeaders: raw }).HTTP_AUTHORIZATION).toBeUndefined();
    expect(buildMetaVariables({ ...base, rawHeaders: raw, passAuthorization: true }).HTTP_AUTHORIZATION).toBe(
      'Basic eDp5',
    );
  });

  it('leaves PATH_INFO and CONTENT_LENGTH unset when empty', () => {
    const env = buildMetaVariables({ ...base, path: '/vote', contentLength: 0, method: 'GET' });
    expect(env.PATH_INFO).toBeUndefined();
    expect(env.CONTENT_LENGTH).toBeUndefined();
  });

  it('refuses a path that decodes to a newline or is badly encoded', () => {
    expect(() => buildMetaVariables({ ...base, path: '/vote/a%0Ab' })).toThrow(/control character/);
    expect(() => buildMetaVariables({ ...base, path: '/vote/%zz' })).toThrow(/percent-encoding/);
  });
});

describe('encodeEnvBlock', () => {
  it('writes NAME=value lines and an empty line', () => {
    expect(encodeEnvBlock({ A: '1', QUERY_STRING: 'x=y=z' })).toBe('A=1\nQUERY_STRING=x=y=z\n\n');
    expect(() => encodeEnvBlock({ A: 'x\ny' })).toThrow();
    expect(() => encodeEnvBlock({ 'A-B': 'x' })).toThrow();
  });
});
