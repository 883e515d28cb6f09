import { lstat, open } from 'node:fs/promises';
import { type ImageModel, isImagePatch, parseImage } from '../../core/image/index.js';
import { type OpenedImage, openImageFiles } from './image-files.js';

/** Opens and parses an image; the caller closes `files`. */
export async function readImage(path: string): Promise<{ model: ImageModel; files: OpenedImage }> {
  const files = await openImageFiles(path);
  try {
    return { model: await parseImage(files), files };
  } catch (e) {
    await files.close();
    throw e;
  }
}

/**
 * Is `path` a container image (docker-save tar, OCI tar or OCI folder) or an image patch?
 * For the `delta` command's input detection: cheap (headers only) and never throws.
 */
export async function isImageInput(path: string): Promise<'image' | 'image-patch' | false> {
  try {
    const st = await lstat(path);
    if (!st.isDirectory()) {
      const fh = await open(path, 'r');
      try {
        const head = Buffer.alloc(8);
        await fh.read(head, 0, 8, 0);
        if (isImagePatch(head)) return 'image-patch';
      } finally {
        await fh.close();
      }
    }
    const files = await openImageFiles(path);
    try {
      const has = (p: string) => files.entries.some((e) => e.path === p && e.type === 'file');
      return has('manifest.json') || (has('index.json') && has('oci-layout')) ? 'image' : false;
    } finally {
      await files.close();
    }
  } catch {
    return false;
  }
}
