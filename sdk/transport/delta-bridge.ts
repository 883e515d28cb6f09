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
}

// The delta engine's public face is delta/index.ts (createPatchFile). It is imported at run
// time, only for --from/--to, so `aloft publish --patch FILE` never loads its native zstd.
const DELTA_ENTRY = '../../delta/index.js';

type CreateFn = (oldPath: string, newPath: string, out: string, opts?: object) => unknown;

/** Runs the delta engine's create on OLD and NEW, writing the patch to `out`. */
export async function createWithDeltaEngine(
  oldPath: string,
  newPath: string,
  out: string,
): Promise<MadePatch> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ DELTA_ENTRY)) as Record<string, unknown>;
  } catch (e) {
    throw new TransportError(
      'TRANSPORT_DELTA_MISSING',
      `the delta engine is not available (${(e as Error).message.split('\n')[0]}); make the patch with \`delta create\` and pass --patch FILE`,
    );
  }
  const create = (mod.createPatchFile ?? mod.create) as CreateFn | undefined;
  if (typeof create !== 'function')
    throw new TransportError(
      'TRANSPORT_DELTA_MISSING',
      'delta/index.ts exports no create function yet; pass --patch FILE',
    );
  const summary = (await create(oldPath, newPath, out)) as Record<string, unknown> | undefined;
  const patch = new Uint8Array(await readFile(out));
  const asDigest = (v: unknown) => (typeof v === 'string' && /^sha256:[0-9a-f]{64}$/.test(v) ? v : undefined);
  const layers = Array.isArray(summary?.layers) ? (summary.layers as Array<{ diffId?: unknown }>) : [];
  const diffIds = layers.map((l) => asDigest(l.diffId)).filter((d): d is string => !!d);
  return {
    patch,
    precursor: asDigest(summary?.source),
    target: asDigest(summary?.target),
    diffIds: diffIds.length ? diffIds : undefined,
    kind: summary?.mode === 'full' ? 'full' : 'delta',
  };
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
