import { describe, expect, it } from 'vitest';
import { isImageError } from './errors.js';
import { BLOCK, encodeTarHeader, parsePax, parseTarHeader } from './tar-header.js';

describe('outer tar header codec', () => {
  it('round-trips a ustar header', () => {
    const b = encodeTarHeader({
      path: 'blobs/sha256/ab',
      type: 'file',
      size: 12345,
      mode: 0o644,
      mtime: 1_700_000_000,
    });
    expect(b.length).toBe(BLOCK);
    expect(parseTarHeader(b)).toMatchObject({
      name: 'blobs/sha256/ab',
      size: 12345,
      mode: 0o644,
      mtime: 1_700_000_000,
      type: 'file',
    });
  });

  it('writes a pax header for a long path, with a self-consistent record length', () => {
    const path = `${'d/'.repeat(80)}file`;
    const b = encodeTarHeader({ path, type: 'file', size: 1, mode: 0o644, mtime: 0 });
    const h = parseTarHeader(b.subarray(0, BLOCK));
    expect(h?.type).toBe('pax');
    const pax = parsePax(b.subarray(BLOCK, BLOCK + (h?.size ?? 0)));
    expect(pax.path).toBe(path);
    const rec = new TextDecoder().decode(b.subarray(BLOCK, BLOCK + (h?.size ?? 0)));
    expect(Number(rec.split(' ')[0])).toBe(new TextEncoder().encode(rec).length);
  });

  it('returns null at the end block and rejects a bad checksum', () => {
    expect(parseTarHeader(new Uint8Array(BLOCK))).toBeNull();
    const b = encodeTarHeader({ path: 'x', type: 'dir', size: 0, mode: 0o755, mtime: 0 });
    b[0] ^= 1;
    let err: unknown;
    try {
      parseTarHeader(b);
    } catch (e) {
      err = e;
    }
    expect(isImageError(err) && err.code).toBe('IMAGE_FORMAT');
  });
});
