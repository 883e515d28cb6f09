import { createReadStream, createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { blobPath, MEDIA, sha256Digest } from '../../../core/image/index.js';
import { materializeLayer, sha256File, withTempDir } from '../layers.js';
import { readImage } from '../read-image.js';
import { type OutputFile, writeImage } from '../write-image.js';
import { sh } from './fixtures.js';

export interface OciOptions {
  container: 'tar' | 'dir';
  /** zlib: node's zlib (reproducible); gnu: `gzip -9n` (not zlib's bit stream); none: plain tar. */
  gzip: 'zlib' | 'gnu' | 'none';
  /** Also write docker's manifest.json, as Docker 25+ `docker save` does beside the OCI layout. */
  dockerManifest: boolean;
}

const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
const file = (path: string, bytes: Uint8Array): OutputFile => ({
  info: { path, type: 'file', size: bytes.length, mode: 0o644, mtime: 0 },
  bytes,
});

/** Converts a legacy `docker save` tar into an OCI layout (optionally Docker 25-style). */
export async function dockerSaveToOci(tar: string, out: string, opts: OciOptions): Promise<void> {
  const { model, files } = await readImage(tar);
  try {
    await withTempDir(async (dir) => {
      const config = await files.read(model.configPath);
      const outFiles: OutputFile[] = [
        { info: { path: 'blobs', type: 'dir', size: 0, mode: 0o755, mtime: 0 } },
        { info: { path: 'blobs/sha256', type: 'dir', size: 0, mode: 0o755, mtime: 0 } },
        file(blobPath(sha256Digest(config)), config),
      ];
      const layers = [];
      for (const l of model.layers) {
        const m = await materializeLayer(files, l, dir, `l${l.index}`);
        let blob = m.tar;
        if (opts.gzip === 'zlib') {
          blob = `${m.tar}.gz`;
          await pipeline(createReadStream(m.tar), createGzip({ level: 6 }), createWriteStream(blob));
        } else if (opts.gzip === 'gnu') {
          blob = `${m.tar}.gz`;
          await sh('sh', ['-c', `gzip -9n < '${m.tar}' > '${blob}'`]);
        }
        const { digest, size } = await sha256File(blob);
        layers.push({
          mediaType: opts.gzip === 'none' ? MEDIA.ociLayerTar : `${MEDIA.ociLayerTar}+gzip`,
          digest,
          size,
        });
        outFiles.push({
          info: { path: blobPath(digest), type: 'file', size, mode: 0o644, mtime: 0 },
          file: blob,
        });
      }
      const manifest = enc({
        schemaVersion: 2,
        mediaType: MEDIA.ociManifest,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256Digest(config),
          size: config.length,
        },
        layers,
      });
      outFiles.push(file(blobPath(sha256Digest(manifest)), manifest));
      const name = model.repoTags[0] ?? 'aloft-image-test/unnamed:latest';
      outFiles.push(
        file(
          'index.json',
          enc({
            schemaVersion: 2,
            mediaType: MEDIA.ociIndex,
            manifests: [
              {
                mediaType: MEDIA.ociManifest,
                digest: sha256Digest(manifest),
                size: manifest.length,
                annotations: {
                  'io.containerd.image.name': name,
                  'org.opencontainers.image.ref.name': name.split(':').pop(),
                },
              },
            ],
          }),
        ),
        file('oci-layout', enc({ imageLayoutVersion: '1.0.0' })),
      );
      if (opts.dockerManifest)
        outFiles.push(
          file(
            'manifest.json',
            enc([
              {
                Config: blobPath(sha256Digest(config)),
                RepoTags: model.repoTags,
                Layers: layers.map((l) => blobPath(l.digest)),
              },
            ]),
          ),
        );
      await writeImage(out, opts.container, outFiles);
    });
  } finally {
    await files.close();
  }
}

/**
 * Checks an image on disk the way a registry or containerd would: every blob named by the
 * manifest exists with that digest and size, the layers' DiffIDs match, and the config is the
 * image ID. Returns what it found.
 */
export async function verifyImage(
  path: string,
): Promise<{ imageId: string; diffIds: string[]; blobs: string[] }> {
  const { model, files } = await readImage(path);
  try {
    return await withTempDir(async (dir) => {
      const diffIds: string[] = [];
      const blobs: string[] = [];
      for (const l of model.layers) {
        const m = await materializeLayer(files, l, dir, `v${l.index}`, true);
        diffIds.push(l.diffId);
        if (l.blobDigest) {
          const got = m.blob ? await sha256File(m.blob) : await sha256File(m.tar);
          if (got.digest !== l.blobDigest)
            throw new Error(`layer ${l.index}: blob is ${got.digest}, manifest says ${l.blobDigest}`);
          blobs.push(got.digest);
        }
      }
      if (
        model.manifestDigest &&
        sha256Digest(await files.read(blobPath(model.manifestDigest))) !== model.manifestDigest
      )
        throw new Error(`manifest blob does not match its digest ${model.manifestDigest}`);
      const config = await files.read(model.configPath);
      if (sha256Digest(config) !== model.imageId) throw new Error('config digest mismatch');
      return { imageId: model.imageId, diffIds, blobs };
    });
  } finally {
    await files.close();
  }
}

export const fileSize = async (p: string) => (await stat(p)).size;
export const readJson = async (p: string) => JSON.parse(await readFile(p, 'utf8'));
export { join };
