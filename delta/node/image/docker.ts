import { createReadStream, createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ImageError } from '../../core/image/index.js';

// dockerode is loaded only when an image really comes from or goes to the engine, so that the
// `delta` command stays light for files, layers and image tarballs.
const docker = async () => (await import('../../../sdk/docker/index.js')).dockerClient();

/**
 * Writes `docker save REF` to `out`, so a device applies a patch to the image it runs rather
 * than to a tarball it would have to keep.
 */
export async function saveImageFromDocker(ref: string, out: string): Promise<void> {
  const image = (await docker()).getImage(ref);
  try {
    await image.inspect();
  } catch (e) {
    throw new ImageError(
      'IMAGE_MISSING_FILE',
      `the Docker Engine has no image ${ref} (${(e as Error).message.split('\n')[0]}): check \`docker images\``,
    );
  }
  const stream = await image.get();
  await pipeline(stream, createWriteStream(out));
}

/** `docker load` of a tar; resolves to what the engine printed (e.g. "Loaded image ID: sha256:..."). */
export async function loadImageIntoDocker(tar: string): Promise<string> {
  const res = (await (
    await docker()
  ).loadImage(createReadStream(tar), {
    quiet: true,
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of res) text += chunk.toString();
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { stream?: string; error?: string; errorDetail?: { message?: string } });
  const err = lines.find((l) => l.error);
  if (err) throw new ImageError('IMAGE_FORMAT', `docker load refused ${tar}: ${err.error}`);
  return lines
    .map((l) => l.stream ?? '')
    .join('')
    .trim();
}
