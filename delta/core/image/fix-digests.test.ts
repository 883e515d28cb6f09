import { describe, expect, it } from 'vitest';
import { sha256Digest } from './digest.js';
import { fixDigestsForUncompressed } from './fix-digests.js';
import { blobPath, parseImage } from './model.js';
import { fakeDigest, memoryFiles, ociLayout } from './testing/builders.js';

describe('fixDigestsForUncompressed', () => {
  it('rewrites the digest chain layer -> manifest -> index -> index.json, keeping the image ID', async () => {
    const diffIds = [fakeDigest('a'), fakeDigest('b')];
    const { files, imageId, layerDigests } = ociLayout(diffIds);
    const meta = new Map(Object.entries(files).filter(([p]) => !layerDigests.some((d) => p === blobPath(d))));
    const fixed = fixDigestsForUncompressed(meta, [
      { blobDigest: layerDigests[1], diffId: diffIds[1], tarSize: 2048 },
    ]);
    expect(fixed.renamed.get(blobPath(layerDigests[1]))).toBe(blobPath(diffIds[1]));
    const out: Record<string, Uint8Array> = Object.fromEntries(fixed.meta);
    out[blobPath(layerDigests[0])] = files[blobPath(layerDigests[0])];
    out[blobPath(diffIds[1])] = new Uint8Array(2048);
    // Every blob is stored under its own digest...
    for (const [p, b] of fixed.meta) if (p.startsWith('blobs/')) expect(blobPath(sha256Digest(b))).toBe(p);
    // ...and the image still parses to the same ID, with the layer now a plain tar.
    const m = await parseImage(memoryFiles(out));
    expect(m.imageId).toBe(imageId);
    expect(m.layers[1]).toMatchObject({
      blobDigest: diffIds[1],
      blobSize: 2048,
      mediaType: 'application/vnd.oci.image.layer.v1.tar',
    });
    expect(m.layers[0].blobDigest).toBe(layerDigests[0]);
  });
});
