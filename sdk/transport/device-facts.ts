import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCbor, encodeCbor } from '../protocol/index.js';

/** What a device remembers across restarts about what it runs (device.cbor in its data dir). */
export interface InstalledFacts {
  /** Highest sequence installed: the anti-rollback floor. */
  readonly seq: number;
  /** `sha256:` image ID running now (the precursor a delta must name), if any. */
  readonly image?: string;
  /** A label for humans, e.g. v2. */
  readonly version?: string;
}

export async function loadFacts(dir: string): Promise<InstalledFacts | undefined> {
  const bytes = await readFile(join(dir, 'device.cbor')).catch(() => undefined);
  if (!bytes) return undefined;
  const o = decodeCbor(bytes, 4096, 'device.cbor') as Record<string, unknown>;
  if (typeof o?.seq !== 'number') return undefined;
  return {
    seq: o.seq,
    image: typeof o.image === 'string' ? o.image : undefined,
    version: typeof o.version === 'string' ? o.version : undefined,
  };
}

export async function saveFacts(dir: string, facts: InstalledFacts): Promise<void> {
  const tmp = join(dir, 'device.cbor.tmp');
  const o: Record<string, unknown> = { seq: facts.seq };
  if (facts.image) o.image = facts.image;
  if (facts.version) o.version = facts.version;
  await writeFile(tmp, encodeCbor(o));
  await rename(tmp, join(dir, 'device.cbor'));
}
