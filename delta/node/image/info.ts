import type { ImagePatchHeader } from '../../core/image/index.js';
import { openImagePatch } from './patch-file.js';

export interface ImagePatchInfo {
  kind: 'image';
  mode: ImagePatchHeader['mode'];
  patchBytes: number;
  source?: { imageId: string; layers: number };
  target: { imageId: string; layers: number; format: string; container: string; repoTags: string[] };
  metaBytes: number;
  layers: Array<{
    layer: number;
    diffId: string;
    tarSize: number;
    /** referenced: the old image has it; diffed: a layer delta; full: sent compressed whole. */
    how: 'referenced' | 'diffed' | 'full';
    base?: number[];
    bytes: number;
    /** tar; gzip rebuilt byte for byte; or gzip that could not be rebuilt, written as tar with fixed digests. */
    blob: 'tar' | 'gzip-rebuilt' | 'gzip-uncompressed';
  }>;
}

const HOW = { ref: 'referenced', delta: 'diffed', full: 'full' } as const;

export async function imagePatchInfo(path: string): Promise<ImagePatchInfo> {
  const p = await openImagePatch(path);
  try {
    const h = p.header;
    const layers: ImagePatchInfo['layers'] = [];
    for (const e of h.entries) {
      if (e.t !== 'layer') continue;
      layers.push({
        layer: e.layer,
        diffId: h.target.diffIds[e.layer],
        tarSize: e.tarSize,
        how: HOW[e.src.how],
        base: e.src.how === 'delta' ? e.src.base : undefined,
        bytes: e.src.how === 'ref' ? 0 : h.sections[e.src.section].length,
        blob: e.blob.c === 'none' ? 'tar' : e.blob.zlib ? 'gzip-rebuilt' : 'gzip-uncompressed',
      });
    }
    layers.sort((a, b) => a.layer - b.layer);
    return {
      kind: 'image',
      mode: h.mode,
      patchBytes: p.size,
      source: h.source ? { imageId: h.source.imageId, layers: h.source.diffIds.length } : undefined,
      target: {
        imageId: h.target.imageId,
        layers: h.target.diffIds.length,
        format: h.target.format,
        container: h.target.container,
        repoTags: h.target.repoTags,
      },
      metaBytes: h.sections[h.meta.section].length,
      layers,
    };
  } finally {
    await p.close();
  }
}

const BLOB_TEXT = {
  tar: '',
  'gzip-rebuilt': ', gzip blob rebuilt byte for byte',
  'gzip-uncompressed': ', gzip blob not reproducible: written uncompressed, manifest/index digests fixed',
} as const;

/** Human-readable lines for `delta info` on an image patch. */
export function formatImagePatchInfo(i: ImagePatchInfo): string {
  const lines = [
    `image patch (${i.mode}), ${i.patchBytes} bytes`,
    i.source ? `  from image ${i.source.imageId} (${i.source.layers} layers)` : '  from nothing (full image)',
    `  to   image ${i.target.imageId} (${i.target.layers} layers, ${i.target.format} ${i.target.container}${i.target.repoTags.length ? `, ${i.target.repoTags.join(' ')}` : ''})`,
    `  manifests and config: ${i.metaBytes} bytes`,
  ];
  for (const l of i.layers) {
    const how = l.how === 'diffed' ? `diffed against old layer ${l.base?.join('+')}` : l.how;
    lines.push(
      `  layer ${l.layer} ${l.diffId}: ${how}, ${l.bytes} of ${l.tarSize} bytes${BLOB_TEXT[l.blob]}`,
    );
  }
  return lines.join('\n');
}
