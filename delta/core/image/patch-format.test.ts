import { describe, expect, it } from 'vitest';
import { Compressor } from 'zstd-napi';
import { isImageError } from './errors.js';
import {
  decodeImagePatchHeader,
  encodeImagePatchHeader,
  type ImagePatchHeader,
  isImagePatch,
} from './patch-format.js';
import { fakeDigest } from './testing/builders.js';

const zstd = (b: Uint8Array) => new Compressor().compress(b);

const d = (s: string) => fakeDigest(s);

function header(): ImagePatchHeader {
  return {
    v: 1,
    mode: 'delta',
    source: { imageId: d('old'), diffIds: [d('o0'), d('o1')] },
    target: {
      imageId: d('new'),
      diffIds: [d('n0'), d('n1')],
      format: 'docker-save',
      container: 'tar',
      repoTags: ['a:1'],
    },
    entries: [
      { t: 'dir', path: 'l0', mode: 0o755, mtime: 1 },
      {
        t: 'layer',
        path: 'l0/layer.tar',
        mode: 0o644,
        mtime: 1,
        layer: 0,
        tarSize: 10,
        blob: { c: 'none' },
        src: { how: 'ref', old: 0 },
      },
      {
        t: 'layer',
        path: 'l1/layer.tar',
        mode: 0o644,
        mtime: 1,
        layer: 1,
        tarSize: 10,
        blob: { c: 'none' },
        src: { how: 'delta', base: [1], section: 1 },
      },
      { t: 'meta', path: 'manifest.json', mode: 0o644, mtime: 0, off: 0, size: 5, sha256: d('m') },
    ],
    meta: { section: 0, size: 5 },
    sections: [
      { length: 3, sha256: d('s0'), codec: 'zstd' },
      { length: 4, sha256: d('s1'), codec: 'layer-delta' },
    ],
  };
}

const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return isImageError(e) ? e.code : String(e);
  }
  return 'no error';
};

describe('image patch header', () => {
  it('round-trips through CBOR behind the magic', () => {
    const bytes = encodeImagePatchHeader(header(), zstd);
    expect(isImagePatch(bytes)).toBe(true);
    expect(decodeImagePatchHeader(bytes)).toEqual(header());
  });

  it('rejects hostile headers before anything is written', () => {
    const mutations: Array<(h: ImagePatchHeader) => void> = [
      (h) => {
        h.entries[0].path = '../../etc';
      },
      (h) => {
        h.entries[0].path = '/abs';
      },
      (h) => {
        (h.entries[2] as { src: { section: number } }).src.section = 9;
      },
      (h) => {
        (h.entries[1] as { src: { old: number } }).src.old = 5;
      },
      (h) => {
        (h.entries[3] as { size: number }).size = 6;
      },
      (h) => {
        h.target.imageId = 'sha256:nothex';
      },
      (h) => {
        (h.entries[1] as { layer: number }).layer = 2;
      },
    ];
    for (const m of mutations) {
      const h = header();
      m(h);
      expect(code(() => decodeImagePatchHeader(encodeImagePatchHeader(h, zstd)))).toBe('IMAGE_PATCH_FORMAT');
    }
  });

  it('rejects a bad magic, another version and a truncated header', () => {
    const bytes = encodeImagePatchHeader(header(), zstd);
    const v2 = bytes.slice();
    v2[8] = 2;
    expect(code(() => decodeImagePatchHeader(v2))).toBe('IMAGE_PATCH_FORMAT');
    expect(code(() => decodeImagePatchHeader(bytes.subarray(0, bytes.length - 3)))).toBe(
      'IMAGE_PATCH_FORMAT',
    );
    expect(code(() => decodeImagePatchHeader(new Uint8Array(20)))).toBe('IMAGE_PATCH_FORMAT');
  });

  it('survives every single-byte corruption of the header with an error or a valid header', () => {
    const bytes = encodeImagePatchHeader(header(), zstd);
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes.slice();
      b[i] ^= 0xff;
      const c = code(() => decodeImagePatchHeader(b));
      expect(['IMAGE_PATCH_FORMAT', 'no error']).toContain(c);
    }
  });
});
