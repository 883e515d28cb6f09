import { describe, expect, it } from 'vitest';
import { isImageError } from './errors.js';
import { blobPath, parseImage } from './model.js';
import { dockerSave, fakeDigest, memoryFiles, ociLayout } from './testing/builders.js';

const ids = [fakeDigest('a'), fakeDigest('b')];

describe('parseImage', () => {
  it('reads a legacy docker save: image ID is the config digest, DiffIDs from the config', async () => {
    const { files, imageId } = dockerSave(ids);
    const m = await parseImage(memoryFiles(files));
    expect(m).toMatchObject({ format: 'docker-save', ociInside: false, imageId, repoTags: ['aloft/test:1'] });
    expect(m.layers.map((l) => [l.path, l.diffId, l.compression])).toEqual([
      ['l0/layer.tar', ids[0], 'none'],
      ['l1/layer.tar', ids[1], 'none'],
    ]);
  });

  it('follows a layer symlink (docker save writes them for repeated layers)', async () => {
    const { files } = dockerSave(ids);
    const m = await parseImage(
      memoryFiles({ ...files, 'l1/layer.tar': { link: '../l0/layer.tar' } } as never),
    );
    expect(m.layers[1].path).toBe('l0/layer.tar');
  });

  it('reads an OCI layout through a nested index, skipping the attestation manifest', async () => {
    const { files, imageId, layerDigests } = ociLayout(ids);
    const m = await parseImage(memoryFiles(files));
    expect(m).toMatchObject({ format: 'oci', imageId, repoTags: ['aloft/test:2'] });
    expect(m.layers.map((l) => [l.path, l.compression, l.blobDigest])).toEqual(
      layerDigests.map((d) => [blobPath(d), 'gzip', d]),
    );
  });

  it('refuses a tarball with two images, a missing layer, or no manifest at all', async () => {
    const { files } = dockerSave(ids);
    const two = JSON.parse(new TextDecoder().decode(files['manifest.json']));
    const cases: Array<[Record<string, Uint8Array>, string]> = [
      [
        { ...files, 'manifest.json': new TextEncoder().encode(JSON.stringify([two[0], two[0]])) },
        'IMAGE_UNSUPPORTED',
      ],
      [Object.fromEntries(Object.entries(files).filter(([k]) => k !== 'l1/layer.tar')), 'IMAGE_MISSING_FILE'],
      [{ 'hello.txt': new Uint8Array(1) }, 'IMAGE_FORMAT'],
    ];
    for (const [f, code] of cases) {
      const err = await parseImage(memoryFiles(f)).catch((e) => e);
      expect(isImageError(err) && err.code).toBe(code);
    }
  });
});
