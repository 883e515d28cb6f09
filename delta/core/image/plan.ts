import type { ImageModel } from './model.js';

/** What a layer tar holds, as far as choosing a diff base goes. */
export interface LayerListing {
  diffId: string;
  files: ReadonlyArray<{ path: string; size: number }>;
}

/** How the new image gets one of its layers. */
export type LayerPlan =
  | { how: 'ref'; layer: number; old: number }
  | { how: 'delta'; layer: number; base: number[] }
  | { how: 'full'; layer: number };

/**
 * `layer`: the base is the single most similar old layer. `all`: the base is every old layer
 * in order (all old files), which finds files that moved between layers. bench/image.ts
 * measures both; `layer` is the default because the layer engine matches by path first and
 * a mixed base costs apply time and memory for little gain on real updates (see README).
 */
export type BaseStrategy = 'layer' | 'all';

/**
 * Share of the new layer's bytes whose path also exists in the old layer: a cheap stand-in
 * for "how much of this layer the delta can copy". Whiteout prefixes are ignored so that a
 * deleted-then-added file still counts.
 */
export function layerSimilarity(newer: LayerListing, older: LayerListing): number {
  const oldPaths = new Set(older.files.map((f) => stripWhiteout(f.path)));
  let total = 0;
  let shared = 0;
  for (const f of newer.files) {
    const weight = f.size + 512;
    total += weight;
    if (oldPaths.has(stripWhiteout(f.path))) shared += weight;
  }
  return total === 0 ? 0 : shared / total;
}

const stripWhiteout = (p: string): string => p.replace(/^\.\//, '').replace(/(^|\/)\.wh\./, '$1');

/**
 * Plans the new image layer by layer, synchronously and with every fact gathered first:
 * a layer the old image already has (same DiffID) is referenced; any other layer is diffed
 * against the chosen old material, or sent whole when nothing old resembles it.
 */
export function planImagePatch(
  old: Pick<ImageModel, 'layers'>,
  target: Pick<ImageModel, 'layers'>,
  listings: { old: LayerListing[]; target: LayerListing[] } | undefined,
  strategy: BaseStrategy = 'layer',
): LayerPlan[] {
  const byDiffId = new Map<string, number>();
  old.layers.forEach((l, i) => {
    if (!byDiffId.has(l.diffId)) byDiffId.set(l.diffId, i);
  });
  return target.layers.map((layer, i): LayerPlan => {
    const same = byDiffId.get(layer.diffId);
    if (same !== undefined) return { how: 'ref', layer: i, old: same };
    if (old.layers.length === 0) return { how: 'full', layer: i };
    if (strategy === 'all') return { how: 'delta', layer: i, base: old.layers.map((_, j) => j) };
    const listing = listings?.target[i];
    if (!listing || !listings) return { how: 'delta', layer: i, base: [old.layers.length - 1] };
    let best = -1;
    let bestScore = 0;
    listings.old.forEach((o, j) => {
      const s = layerSimilarity(listing, o);
      if (s > bestScore) {
        bestScore = s;
        best = j;
      }
    });
    // Nothing in common by path: still diff against the biggest old layer, since bsdiff also
    // finds shared bytes across renamed files; the engine falls back to plain compression.
    if (best < 0) best = biggest(listings.old);
    return { how: 'delta', layer: i, base: [best] };
  });
}

function biggest(listings: LayerListing[]): number {
  let best = 0;
  let size = -1;
  listings.forEach((l, j) => {
    const s = l.files.reduce((a, f) => a + f.size, 0);
    if (s > size) {
      size = s;
      best = j;
    }
  });
  return best;
}
