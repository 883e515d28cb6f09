import { sha256Digest } from './digest.js';
import { blobPath, parseJson } from './model.js';

const encoder = new TextEncoder();

/** A gzip layer blob that will be stored uncompressed instead. */
export interface Uncompressed {
  blobDigest: string;
  diffId: string;
  tarSize: number;
}

export interface FixedImage {
  /** Meta files by path after the fix; renamed blobs appear under their new path only. */
  meta: Map<string, Uint8Array>;
  /** Old path -> new path for every renamed file (layers and manifests). */
  renamed: Map<string, string>;
}

const tarMediaType = (mt: unknown): unknown =>
  typeof mt === 'string' ? mt.replace(/\+(gzip|zstd)$/, '').replace(/\.tar\.gzip$/, '.tar') : mt;

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * When a gzip layer cannot be rebuilt byte for byte, the image is still valid if the layer is
 * stored uncompressed: its blob digest becomes its DiffID, and every manifest and index that
 * names it gets the new digest, size and media type (and so new digests of their own, up to
 * index.json and docker's manifest.json). The config, hence the image ID, and the DiffIDs
 * do not change. Deterministic, so creator and device compute the same bytes.
 */
export function fixDigestsForUncompressed(meta: Map<string, Uint8Array>, layers: Uncompressed[]): FixedImage {
  const out = new Map(meta);
  const renamed = new Map<string, string>();
  // digest -> replacement descriptor fields, grown as manifests and indexes change.
  const repl = new Map<string, { digest: string; size: number; tar: boolean }>();
  for (const l of layers) {
    repl.set(l.blobDigest, { digest: l.diffId, size: l.tarSize, tar: true });
    renamed.set(blobPath(l.blobDigest), blobPath(l.diffId));
  }
  const fixDesc = (d: unknown): boolean => {
    if (!isObj(d) || typeof d.digest !== 'string') return false;
    const r = repl.get(d.digest);
    if (!r) return false;
    d.digest = r.digest;
    d.size = r.size;
    if (r.tar) d.mediaType = tarMediaType(d.mediaType);
    return true;
  };
  // Manifests first, then indexes that name them, then indexes naming those (bounded depth).
  for (let round = 0; round < 5; round++) {
    let changed = false;
    for (const [path, bytes] of [...out]) {
      if (!path.startsWith('blobs/sha256/')) continue;
      let doc: unknown;
      try {
        doc = parseJson(bytes, path);
      } catch {
        continue;
      }
      if (!isObj(doc)) continue;
      const list = [
        ...(Array.isArray(doc.layers) ? doc.layers : []),
        ...(Array.isArray(doc.manifests) ? doc.manifests : []),
      ];
      let touched = false;
      for (const d of list) touched = fixDesc(d) || touched;
      if (!touched) continue;
      const next = encoder.encode(JSON.stringify(doc));
      const oldDigest = `sha256:${path.slice('blobs/sha256/'.length)}`;
      const digest = sha256Digest(next);
      repl.set(oldDigest, { digest, size: next.length, tar: false });
      out.delete(path);
      out.set(blobPath(digest), next);
      renamed.set(path, blobPath(digest));
      changed = true;
    }
    if (!changed) break;
  }
  const index = out.get('index.json');
  if (index) {
    const doc = parseJson(index, 'index.json');
    if (isObj(doc) && Array.isArray(doc.manifests) && doc.manifests.map(fixDesc).some(Boolean))
      out.set('index.json', encoder.encode(JSON.stringify(doc)));
  }
  const manifest = out.get('manifest.json');
  if (manifest) {
    const doc = parseJson(manifest, 'manifest.json');
    if (Array.isArray(doc)) {
      let touched = false;
      for (const m of doc) {
        if (!isObj(m) || !Array.isArray(m.Layers)) continue;
        m.Layers = m.Layers.map((p: unknown) => {
          const to = typeof p === 'string' ? renamed.get(p) : undefined;
          if (to) touched = true;
          return to ?? p;
        });
      }
      if (touched) out.set('manifest.json', encoder.encode(JSON.stringify(doc)));
    }
  }
  return { meta: out, renamed };
}
