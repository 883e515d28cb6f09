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
import { createFullImagePatch, imageIdOf } from './delta-bridge.js';
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

/**
 * For `publish --patch FILE --to NEW` with FILE an image patch: NEW is sent in full to a device
 * that asks, so it must be the image FILE makes (`makes`, its header's target image ID), and the
 * manifest's target (`--target`, when given) must be NEW too: a device checks the image it
 * rebuilds against it. Anything else is one line naming the files and both IDs, before anything
 * is published.
 */
export async function checkPatchTarget(
  patchPath: string,
  makes: string,
  imagePath: string,
  target: string | undefined,
): Promise<void> {
  const imageId = await imageIdOf(imagePath);
  if (imageId === undefined)
    throw new TransportError(
      'TRANSPORT_INPUT',
      `${imagePath} is not a container image (docker save or OCI), but the patch ${patchPath} is an image patch that makes image ${makes}: give --to that image, or drop --to`,
    );
  if (makes !== imageId)
    throw new TransportError(
      'TRANSPORT_INPUT',
      `${imagePath} is image ${imageId}, but the patch ${patchPath} makes image ${makes}: give --to the image the patch was made to`,
    );
  if (target !== undefined && target !== imageId)
    throw new TransportError(
      'TRANSPORT_INPUT',
      `--target ${target} is not the image ID of ${imagePath} (${imageId}), which the patch ${patchPath} makes: drop --target or correct it`,
    );
}
