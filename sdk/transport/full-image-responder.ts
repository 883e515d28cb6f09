import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describePatch,
  type FullImageRequest,
  type Manifest,
  signManifest,
  type TrustedKey,
} from '../protocol/index.js';
import { createFullImagePatch } from './delta-bridge.js';
import { TransportError } from './errors.js';
import { nodeSha256 } from './node-sha256.js';
import type { Publisher } from './publisher.js';

export interface FullImageResponderOptions {
  readonly publisher: Publisher;
  /** The delta's manifest: a full image is offered for this sequence and target only. */
  readonly manifest: Manifest;
  /** The target image (docker save or OCI) the full image is made from. */
  readonly imagePath: string;
  readonly secretKey: Uint8Array;
  readonly publicKey: TrustedKey;
  readonly log: (line: string) => void;
}

/**
 * Answers devices that cannot apply the fleet's delta (they run another image) with the full
 * target image, sent to each such device alone. The full image is made once, on the first
 * request, and signed under the delta's sequence and target. `idle()` resolves when no answer is
 * being made or sent.
 */
export function answerFullImageRequests(o: FullImageResponderOptions) {
  let full: Promise<{ envelope: Uint8Array; patch: Uint8Array }> | undefined;
  const busy = new Set<string>();
  let chain: Promise<void> = Promise.resolve();

  const makeFull = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aloft-full-'));
    try {
      const patch = await createFullImagePatch(o.imagePath, join(dir, 'full.patch'));
      const { blockSize } = o.manifest.patch;
      const { digest, blockHashes } = describePatch(patch, blockSize, nodeSha256);
      const m: Manifest = {
        ...o.manifest,
        precursor: o.manifest.target.imageId,
        patch: { kind: 'full', digest, size: patch.length, blockSize, blockHashes },
      };
      return { envelope: signManifest(m, o.secretKey), patch };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };

  const onRequest = (r: FullImageRequest) => {
    if (r.sequence !== o.manifest.sequence || r.want !== o.manifest.target.imageId) {
      o.log(`full image requested by ${r.device} for update ${r.sequence}, not this one: ignored`);
      return;
    }
    // A device asks again each time it sees the delta's manifest; one answer at a time is enough.
    if (busy.has(r.device)) return;
    busy.add(r.device);
    o.log(`full image requested by ${r.device} (runs ${r.have.slice(0, 19)}…): sending it to that device`);
    chain = chain
      .then(async () => {
        full ??= makeFull();
        const { envelope, patch } = await full;
        await o.publisher.sendTo(r.device, envelope, patch, [o.publicKey]);
        o.log(`full image: ${patch.length} B sent to ${r.device}`);
      })
      .catch((e) => {
        full = undefined;
        o.log(`full image for ${r.device} failed: ${(e as Error).message}`);
      })
      .finally(() => busy.delete(r.device));
  };
  o.publisher.on('full-image-request', onRequest);
  return {
    idle: () => chain,
    stop: () => o.publisher.off('full-image-request', onRequest),
  };
}

/** What `publish --patch FILE --to NEW` takes from NEW once NEW is checked to be FILE's target. */
export interface CheckedTarget {
  readonly imageId: string;
  readonly diffIds: readonly string[];
  /** The image the patch applies to, as its header names it (none for a full-image patch). */
  readonly precursor?: string;
  readonly kind: 'delta' | 'full';
}

/**
 * For `publish --patch FILE --to NEW`: when NEW is a container image (docker save or OCI) and
 * FILE an image patch, NEW may be sent in full to a device that asks, but only if it is the
 * image the patch makes (its header names the target's image ID), and the manifest's target
 * (`--target`, when given) must be NEW too: a device checks the image it rebuilds against it.
 * Anything else is one line naming the file and both IDs, before anything is published.
 * Resolves undefined when NEW or FILE is not an image (a file patch: NEW only names a digest).
 */
export async function checkPatchTarget(
  patchPath: string,
  imagePath: string,
  target: string | undefined,
): Promise<CheckedTarget | undefined> {
  // Loaded only here: a plain `publish --patch FILE` never loads the delta engine.
  const delta = await import('../../delta/node/image/index.js');
  const [patchKind, imageKind] = await Promise.all([
    delta.isImageInput(patchPath),
    delta.isImageInput(imagePath),
  ]);
  if (patchKind !== 'image-patch' || imageKind !== 'image') return undefined;
  const info = await delta.imagePatchInfo(patchPath);
  const { model, files } = await delta.readImage(imagePath);
  await files.close();
  if (info.target.imageId !== model.imageId)
    throw new TransportError(
      'TRANSPORT_INPUT',
      `${imagePath} is image ${model.imageId}, but the patch ${patchPath} makes image ${info.target.imageId}: give --to the image the patch was made to`,
    );
  if (target !== undefined && target !== model.imageId)
    throw new TransportError(
      'TRANSPORT_INPUT',
      `--target ${target} is not the image ID of ${imagePath} (${model.imageId}), which the patch ${patchPath} makes: drop --target or correct it`,
    );
  return {
    imageId: model.imageId,
    diffIds: model.layers.map((l) => l.diffId),
    precursor: info.source?.imageId,
    kind: info.mode,
  };
}
