import { digestHex, isSha256Digest, sha256Digest } from './digest.js';
import { ImageError } from './errors.js';

/** One file of an image as it sits in the docker-save tar, the OCI tar, or the OCI folder. */
export interface ImageFileInfo {
  path: string;
  type: 'file' | 'dir' | 'symlink';
  size: number;
  mode: number;
  mtime: number;
  linkname?: string;
}

/**
 * The port the image model reads through: the file list of an image and a way to read its
 * small files (configs, manifests) or the first bytes of a big one. Adapters back it with a
 * tar file, a folder, or a `docker save` stream spooled to disk.
 */
export interface ImageFileSet {
  readonly entries: readonly ImageFileInfo[];
  read(path: string): Promise<Uint8Array>;
  head(path: string, length: number): Promise<Uint8Array>;
}

export type LayerCompression = 'none' | 'gzip' | 'zstd';

export interface ImageLayer {
  /** Position in rootfs.diff_ids. */
  index: number;
  /** Where the layer's bytes sit in the image (after following a symlink). */
  path: string;
  /** sha256 of the uncompressed layer tar, as the config claims it. */
  diffId: string;
  compression: LayerCompression;
  /** OCI descriptor of the blob (digest of the stored, possibly compressed bytes). */
  mediaType?: string;
  blobDigest?: string;
  blobSize: number;
}

export interface ImageModel {
  /** docker-save: a manifest.json is present (legacy layout, or Docker 25+ which adds index.json). */
  format: 'docker-save' | 'oci';
  ociInside: boolean;
  /** sha256 of the config JSON bytes: what `docker images --no-trunc` shows. */
  imageId: string;
  configPath: string;
  layers: ImageLayer[];
  repoTags: string[];
  /** For OCI: the digest of the image manifest the layers came from. */
  manifestDigest?: string;
}

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociLayerTar: 'application/vnd.oci.image.layer.v1.tar',
  dockerLayerTar: 'application/vnd.docker.image.rootfs.diff.tar',
} as const;

const decoder = new TextDecoder();

export function parseJson(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(decoder.decode(bytes));
  } catch {
    throw new ImageError('IMAGE_FORMAT', `${what} is not valid JSON`);
  }
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function normalizePath(p: string): string {
  return p.replace(/^\.\//, '').replace(/\/+$/, '');
}

/** Blob path of a descriptor digest inside an OCI layout. */
export const blobPath = (digest: string): string => `blobs/sha256/${digestHex(digest)}`;

export function compressionOf(mediaType: string | undefined, head: Uint8Array): LayerCompression {
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return 'zstd';
  if (mediaType && /gzip/.test(mediaType)) return 'gzip';
  if (mediaType && /zstd/.test(mediaType)) return 'zstd';
  return 'none';
}

function diffIdsOf(config: unknown, configPath: string): string[] {
  const rootfs = isObj(config) ? config.rootfs : undefined;
  const ids = isObj(rootfs) ? rootfs.diff_ids : undefined;
  if (!Array.isArray(ids) || !ids.every(isSha256Digest))
    throw new ImageError('IMAGE_FORMAT', `image config ${configPath} has no valid rootfs.diff_ids`);
  return ids;
}

interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  platform?: { os?: string; architecture?: string };
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObj(v) || !isSha256Digest(v.digest) || typeof v.size !== 'number')
    throw new ImageError('IMAGE_FORMAT', `${where} has a descriptor without a sha256 digest and size`);
  return v as unknown as Descriptor;
}

/** Follows a symlink in the image's file list (Docker writes them for repeated layers). */
function resolveFile(files: ImageFileSet, path: string): ImageFileInfo {
  let p = normalizePath(path);
  for (let hops = 0; hops < 8; hops++) {
    const e = files.entries.find((x) => x.path === p);
    if (!e) throw new ImageError('IMAGE_MISSING_FILE', `image has no file ${p}`);
    if (e.type !== 'symlink') return e;
    const base = p.includes('/') ? p.slice(0, p.lastIndexOf('/') + 1) : '';
    const target = e.linkname ?? '';
    p = normalizePath(target.startsWith('/') ? target.slice(1) : joinPath(base, target));
  }
  throw new ImageError('IMAGE_FORMAT', `image file ${path} is a symlink loop`);
}

function joinPath(base: string, rel: string): string {
  const parts = `${base}${rel}`.split('/');
  const out: string[] = [];
  for (const part of parts) {
    if (part === '..') out.pop();
    else if (part !== '.' && part !== '') out.push(part);
  }
  return out.join('/');
}

async function layerOf(
  files: ImageFileSet,
  index: number,
  path: string,
  diffId: string,
  desc?: Descriptor,
): Promise<ImageLayer> {
  const file = resolveFile(files, path);
  const head = file.size > 0 ? await files.head(file.path, 4) : new Uint8Array(0);
  return {
    index,
    path: file.path,
    diffId,
    compression: compressionOf(desc?.mediaType, head),
    mediaType: desc?.mediaType,
    blobDigest: desc?.digest,
    blobSize: file.size,
  };
}

async function parseDockerSave(files: ImageFileSet): Promise<ImageModel> {
  const manifest = parseJson(await files.read('manifest.json'), 'manifest.json');
  if (!Array.isArray(manifest) || manifest.length === 0)
    throw new ImageError('IMAGE_FORMAT', 'manifest.json lists no image');
  if (manifest.length > 1)
    throw new ImageError(
      'IMAGE_UNSUPPORTED',
      `manifest.json lists ${manifest.length} images: save one image per tarball (docker save IMAGE)`,
    );
  const m = manifest[0] as Record<string, unknown>;
  if (typeof m.Config !== 'string' || !Array.isArray(m.Layers))
    throw new ImageError('IMAGE_FORMAT', 'manifest.json entry has no Config or Layers');
  const configPath = resolveFile(files, m.Config).path;
  const configBytes = await files.read(configPath);
  const diffIds = diffIdsOf(parseJson(configBytes, configPath), configPath);
  const paths = m.Layers as string[];
  if (paths.length !== diffIds.length)
    throw new ImageError(
      'IMAGE_FORMAT',
      `manifest.json lists ${paths.length} layers but the config has ${diffIds.length} diff_ids`,
    );
  const ociInside = files.entries.some((e) => e.path === 'index.json');
  // Docker 25+ also writes an OCI manifest whose descriptors carry the layers' media types.
  const descs = ociInside ? await ociLayerDescriptors(files).catch(() => undefined) : undefined;
  const layers = await Promise.all(paths.map((p, i) => layerOf(files, i, p, diffIds[i], descs?.layers[i])));
  return {
    format: 'docker-save',
    ociInside,
    imageId: sha256Digest(configBytes),
    configPath,
    layers,
    repoTags: Array.isArray(m.RepoTags) ? (m.RepoTags as string[]) : [],
    manifestDigest: descs?.manifestDigest,
  };
}

const isIndex = (mt: string | undefined) => mt === MEDIA.ociIndex || mt === MEDIA.dockerList;

/** Walks index.json (and nested indexes) to the one image manifest it names. */
async function ociLayerDescriptors(
  files: ImageFileSet,
): Promise<{ manifestDigest: string; config: Descriptor; layers: Descriptor[]; tags: string[] }> {
  let doc = parseJson(await files.read('index.json'), 'index.json');
  let where = 'index.json';
  let tags: string[] = [];
  for (let depth = 0; depth < 4; depth++) {
    const list = isObj(doc) && Array.isArray(doc.manifests) ? doc.manifests : [];
    // Attestation manifests (platform unknown/unknown) ride beside the image; skip them.
    const candidates = list
      .map((d, i) => descriptor(d, `${where} manifests[${i}]`))
      .filter((d) => d.platform?.os !== 'unknown');
    if (candidates.length !== 1)
      throw new ImageError(
        'IMAGE_UNSUPPORTED',
        `${where} names ${candidates.length} images: export exactly one image (one platform) per layout`,
      );
    const d = candidates[0];
    // Names live on index.json's descriptors (containerd and OCI annotations).
    if (depth === 0)
      tags = list.flatMap((x) => {
        const ann = isObj(x) && isObj(x.annotations) ? x.annotations : {};
        const name = ann['io.containerd.image.name'] ?? ann['org.opencontainers.image.ref.name'];
        return typeof name === 'string' ? [name] : [];
      });
    const path = blobPath(d.digest);
    const bytes = await files.read(resolveFile(files, path).path);
    doc = parseJson(bytes, path);
    where = path;
    const mt = d.mediaType ?? (isObj(doc) ? (doc.mediaType as string | undefined) : undefined);
    if (isIndex(mt)) continue;
    if (!isObj(doc) || !Array.isArray(doc.layers))
      throw new ImageError('IMAGE_FORMAT', `${path} is not an image manifest (no layers)`);
    return {
      manifestDigest: d.digest,
      config: descriptor(doc.config, `${path} config`),
      layers: doc.layers.map((l, i) => descriptor(l, `${path} layers[${i}]`)),
      tags,
    };
  }
  throw new ImageError('IMAGE_FORMAT', 'index.json nests image indexes too deeply');
}

async function parseOciLayout(files: ImageFileSet): Promise<ImageModel> {
  const { manifestDigest, config, layers: descs, tags } = await ociLayerDescriptors(files);
  const configPath = resolveFile(files, blobPath(config.digest)).path;
  const configBytes = await files.read(configPath);
  const diffIds = diffIdsOf(parseJson(configBytes, configPath), configPath);
  if (descs.length !== diffIds.length)
    throw new ImageError(
      'IMAGE_FORMAT',
      `manifest ${manifestDigest} lists ${descs.length} layers but the config has ${diffIds.length} diff_ids`,
    );
  const layers = await Promise.all(descs.map((d, i) => layerOf(files, i, blobPath(d.digest), diffIds[i], d)));
  return {
    format: 'oci',
    ociInside: false,
    imageId: sha256Digest(configBytes),
    configPath,
    layers,
    repoTags: tags,
    manifestDigest,
  };
}

/** Reads the image model of a docker-save archive (legacy or Docker 25+) or an OCI image layout. */
export async function parseImage(files: ImageFileSet): Promise<ImageModel> {
  const has = (p: string) => files.entries.some((e) => e.path === p);
  if (has('manifest.json')) return parseDockerSave(files);
  if (has('index.json')) return parseOciLayout(files);
  throw new ImageError(
    'IMAGE_FORMAT',
    'not a container image: no manifest.json (docker save) and no index.json (OCI layout)',
  );
}
