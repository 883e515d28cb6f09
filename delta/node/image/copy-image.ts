import type { ImageFileInfo } from '../../core/image/index.js';
import { openImageFiles } from './image-files.js';
import { type OutputFile, writeImage } from './write-image.js';

/**
 * Reads an image and writes it back, file for file, as a tar or a folder: the identity the
 * image code must get right before any delta (same image ID and DiffIDs after `docker load`).
 */
export async function copyImage(src: string, out: string, container?: 'tar' | 'dir'): Promise<void> {
  const files = await openImageFiles(src);
  try {
    const outFiles: OutputFile[] = files.entries.map((info: ImageFileInfo) =>
      info.type === 'file' ? { info, stream: () => files.stream(info.path) } : { info },
    );
    await writeImage(out, container ?? files.container, outFiles);
  } finally {
    await files.close();
  }
}
