import { sha256 } from '@noble/hashes/sha2.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += HEX[b];
  return s;
}

/** `sha256:<hex>` of small in-memory bytes (configs, manifests). Layers are hashed by the adapter. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${toHex(sha256(bytes))}`;
}

/** The 64 hex digits of a `sha256:` digest; throws on anything else so a path is never built from junk. */
export function digestHex(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new TypeError(`not a sha256 digest: ${JSON.stringify(digest).slice(0, 80)}`);
  return m[1];
}

export const isSha256Digest = (s: unknown): s is string =>
  typeof s === 'string' && /^sha256:[0-9a-f]{64}$/.test(s);

/** First 12 hex digits, the way `docker images` shows an ID. */
export const shortDigest = (digest: string): string => digest.replace(/^sha256:/, '').slice(0, 12);
