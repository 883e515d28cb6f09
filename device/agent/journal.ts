import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DeviceError } from '../errors.js';
import type { Journal } from './types.js';

const NAME = 'journal.json';

/**
 * Writes a file so that a crash or power cut leaves either the old or the new content, never a
 * mix: write a temp file, fsync it, rename over the target, fsync the folder (so the rename
 * itself is durable).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

export async function readJournal(dataDir: string): Promise<Journal | undefined> {
  let text: string;
  try {
    text = await readFile(join(dataDir, NAME), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const j = JSON.parse(text) as Journal;
    if (j.format !== 1 || typeof j.app !== 'string') throw new Error('unknown format');
    return j;
  } catch (e) {
    throw new DeviceError(
      'DEVICE_JOURNAL_CORRUPT',
      `journal ${join(dataDir, NAME)} is unreadable (${(e as Error).message}): it is only ever replaced atomically, so inspect the disk before deleting it`,
    );
  }
}

export async function writeJournal(dataDir: string, journal: Journal): Promise<void> {
  await writeFileAtomic(join(dataDir, NAME), `${JSON.stringify(journal, null, 1)}\n`);
}

export async function removeFile(path: string): Promise<void> {
  await rm(path, { force: true });
}
