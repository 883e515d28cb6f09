import { describe, expect, it } from 'vitest';
import type { ImageLayer } from './model.js';
import { layerSimilarity, planImagePatch } from './plan.js';

const layer = (i: number, diffId: string): ImageLayer => ({
  index: i,
  path: `l${i}`,
  diffId,
  compression: 'none',
  blobSize: 0,
});
const listing = (diffId: string, paths: string[]) => ({
  diffId,
  files: paths.map((path) => ({ path, size: 1000 })),
});

describe('planImagePatch', () => {
  it('references layers by DiffID and diffs the rest against the most similar old layer', () => {
    const old = { layers: [layer(0, 'A'), layer(1, 'B'), layer(2, 'C')] };
    const target = { layers: [layer(0, 'A'), layer(1, 'B2'), layer(2, 'D')] };
    const listings = {
      old: [
        listing('A', ['bin/sh']),
        listing('B', ['usr/lib/libssl.so.3', 'usr/bin/openssl']),
        listing('C', ['app/main.js']),
      ],
      target: [
        listing('A', ['bin/sh']),
        listing('B2', ['usr/lib/libssl.so.3', 'usr/bin/openssl']),
        listing('D', ['app/main.js', 'app/new.js']),
      ],
    };
    expect(planImagePatch(old, target, listings)).toEqual([
      { how: 'ref', layer: 0, old: 0 },
      { how: 'delta', layer: 1, base: [1] },
      { how: 'delta', layer: 2, base: [2] },
    ]);
    expect(planImagePatch(old, target, listings, 'all')[1]).toEqual({
      how: 'delta',
      layer: 1,
      base: [0, 1, 2],
    });
    expect(planImagePatch({ layers: [] }, target, undefined)[0]).toEqual({ how: 'full', layer: 0 });
  });

  it('scores whiteouts as the path they delete', () => {
    expect(layerSimilarity(listing('n', ['etc/.wh.passwd']), listing('o', ['etc/passwd']))).toBe(1);
    expect(layerSimilarity(listing('n', ['a']), listing('o', ['b']))).toBe(0);
  });
});
