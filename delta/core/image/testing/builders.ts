import { sha256Digest } from '../digest.js';
import { blobPath, type ImageFileInfo, type ImageFileSet, MEDIA } from '../model.js';

// Builders for unit tests: in-memory images (not shipped: the pure tsconfig includes it, but
// nothing else imports it).

const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));

export function memoryFiles(files: Record<string, Uint8Array | { link: string }>): ImageFileSet {
  const entries: ImageFileInfo[] = Object.entries(files).map(([path, v]) =>
    v instanceof Uint8Array
      ? { path, type: 'file', size: v.length, mode: 0o644, mtime: 0 }
      : { path, type: 'symlink', size: 0, mode: 0o777, mtime: 0, linkname: v.link },
  );
  const get = (p: string) => {
    const v = files[p];
    if (!(v instanceof Uint8Array)) throw new Error(`no file ${p}`);
    return v;
  };
  return { entries, read: async (p) => get(p), head: async (p, n) => get(p).subarray(0, n) };
}

export const fakeDigest = (s: string) => sha256Digest(enc(s));

/** A legacy docker-save with the given DiffIDs (layer bytes are placeholders). */
export function dockerSave(
  diffIds: string[],
  tag = 'aloft/test:1',
): { files: Record<string, Uint8Array>; imageId: string } {
  const config = enc({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } });
  const imageId = sha256Digest(config);
  const files: Record<string, Uint8Array> = { [`${imageId.slice(7)}.json`]: config };
  const layers = diffIds.map((d, i) => {
    files[`l${i}/layer.tar`] = enc(`layer ${d}`);
    files[`l${i}/VERSION`] = enc('1.0');
    return `l${i}/layer.tar`;
  });
  files['manifest.json'] = enc([{ Config: `${imageId.slice(7)}.json`, RepoTags: [tag], Layers: layers }]);
  files.repositories = enc({});
  return { files, imageId };
}

/** An OCI layout with gzip layers behind an index and a nested index with an attestation. */
export function ociLayout(diffIds: string[]): {
  files: Record<string, Uint8Array>;
  imageId: string;
  layerDigests: string[];
} {
  const config = enc({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: diffIds } });
  const files: Record<string, Uint8Array> = { [blobPath(sha256Digest(config))]: config };
  const layers = diffIds.map((d) => {
    const blob = new Uint8Array([0x1f, 0x8b, 8, 0, ...enc(d)]);
    files[blobPath(sha256Digest(blob))] = blob;
    return { mediaType: `${MEDIA.ociLayerTar}+gzip`, digest: sha256Digest(blob), size: blob.length };
  });
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
  files[blobPath(sha256Digest(manifest))] = manifest;
  const att = enc({ schemaVersion: 2, layers: [] });
  files[blobPath(sha256Digest(att))] = att;
  const index = enc({
    schemaVersion: 2,
    mediaType: MEDIA.ociIndex,
    manifests: [
      {
        mediaType: MEDIA.ociManifest,
        digest: sha256Digest(manifest),
        size: manifest.length,
        platform: { os: 'linux', architecture: 'amd64' },
      },
      {
        mediaType: MEDIA.ociManifest,
        digest: sha256Digest(att),
        size: att.length,
        platform: { os: 'unknown', architecture: 'unknown' },
      },
    ],
  });
  files[blobPath(sha256Digest(index))] = index;
  files['index.json'] = enc({
    schemaVersion: 2,
    manifests: [
      {
        mediaType: MEDIA.ociIndex,
        digest: sha256Digest(index),
        size: index.length,
        annotations: { 'io.containerd.image.name': 'aloft/test:2' },
      },
    ],
  });
  files['oci-layout'] = enc({ imageLayoutVersion: '1.0.0' });
  return { files, imageId: sha256Digest(config), layerDigests: layers.map((l) => l.digest) };
}
