import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TransportError } from './errors.js';

/** What publishing needs from the delta engine: the patch and the images' digests. */
export interface MadePatch {
  readonly patch: Uint8Array;
  readonly precursor?: string;
  readonly target?: string;
  readonly diffIds?: readonly string[];
  readonly kind: 'delta' | 'full';
  /** OLD and NEW were container images (so a full image can be made from NEW on request). */
  readonly images?: boolean;
}

/**
 * Makes the patch for `aloft publish --from OLD --to NEW`. Two container images (docker save or
 * OCI) give an image patch, which is what the device agent applies to the image it runs, with
 * the images' IDs and DiffIDs for the manifest; two plain files give a file patch. The engine is
 * imported here, at run time, so that `aloft publish --patch FILE` never loads its native zstd.
 */
export async function createWithDeltaEngine(
  oldPath: string,
  newPath: string,
  out: string,
): Promise<MadePatch> {
  const delta = await import('../../delta/index.js');
  const [oldKind, newKind] = await Promise.all([delta.isImageInput(oldPath), delta.isImageInput(newPath)]);
  if (oldKind === 'image' && newKind === 'image') {
    const s = await delta.createImagePatch(oldPath, newPath, out, { engine: delta.aloftLayerEngine });
    return {
      patch: new Uint8Array(await readFile(out)),
      precursor: s.source,
      target: s.target,
      diffIds: s.layers.map((l) => l.diffId),
      kind: s.mode,
      images: true,
    };
  }
  if (oldKind === 'image' || newKind === 'image')
    throw new TransportError(
      'TRANSPORT_INPUT',
      `${oldKind === 'image' ? oldPath : newPath} is a container image but ${oldKind === 'image' ? newPath : oldPath} is not: give two images (docker save or OCI) or two files`,
    );
  await delta.createPatchFile(oldPath, newPath, out);
  return { patch: new Uint8Array(await readFile(out)), kind: 'delta' };
}

/** What an image patch's header records about the two images: the manifest's defaults. */
export interface ImagePatchIds {
  /** The image the patch applies to (none for a full-image patch). */
  readonly precursor?: string;
  readonly target: string;
  /** The target's layer DiffIDs in order, a layer that repeats listed each time. */
  readonly diffIds: readonly string[];
  readonly kind: 'delta' | 'full';
}

/**
 * For `publish --patch FILE`: what FILE records when it is an image patch (as `delta create`
 * writes for two images); undefined for a file patch, which records no image IDs. Read with
 * imagePatchInfo, as `--patch FILE --to NEW` reads it, which also refuses a truncated or padded
 * FILE; the DiffIDs come from the header itself, since imagePatchInfo lists a repeated layer once.
 */
export async function readImagePatchIds(path: string, bytes: Uint8Array): Promise<ImagePatchIds | undefined> {
  // The pure header codec first: a file patch never loads the engine (native zstd).
  const image = await import('../../delta/core/image/index.js');
  if (!image.isImagePatch(bytes)) return undefined;
  const delta = await import('../../delta/node/image/index.js');
  const info = await delta.imagePatchInfo(path);
  return {
    precursor: info.source?.imageId,
    target: info.target.imageId,
    diffIds: image.decodeImagePatchHeader(bytes).target.diffIds,
    kind: info.mode,
  };
}

/** The image ID of a container image (docker save or OCI); undefined when `path` is not one. */
export async function imageIdOf(path: string): Promise<string | undefined> {
  const delta = await import('../../delta/node/image/index.js');
  if ((await delta.isImageInput(path)) !== 'image') return undefined;
  const { model, files } = await delta.readImage(path);
  await files.close();
  return model.imageId;
}

/** The full-image payload of an image (docker save or OCI): for a device that runs another image. */
export async function createFullImagePatch(imagePath: string, out: string): Promise<Uint8Array> {
  const delta = await import('../../delta/index.js');
  // OLD is only named, never read, when the payload is full.
  await delta.createImagePatch(imagePath, imagePath, out, { engine: delta.aloftLayerEngine, full: true });
  return new Uint8Array(await readFile(out));
}

/** `sha256:<hex>` of a file: the precursor/target ID of a plain file (not an image). */
export async function fileDigest(path: string): Promise<string> {
  try {
    return `sha256:${createHash('sha256')
      .update(await readFile(path))
      .digest('hex')}`;
  } catch (e) {
    throw new TransportError(
      'TRANSPORT_INPUT',
      `${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
    );
  }
}
