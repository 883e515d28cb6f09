import { DEFAULT_LIMITS, describePatch, type PatchDescription } from '../core/index.js';
import { describeClassicPatch, isClassicPatchFile } from './classic.js';
import { inFile } from './errors.js';
import { openFileSource } from './file-source.js';

export type Description = PatchDescription | Awaited<ReturnType<typeof describeClassicPatch>>;

export async function describePatchFile(path: string): Promise<Description> {
  try {
    if (isClassicPatchFile(path)) return await describeClassicPatch(path);
    const patch = openFileSource(path);
    try {
      return describePatch(patch, DEFAULT_LIMITS);
    } finally {
      patch.close();
    }
  } catch (e) {
    throw inFile('PATCH', path, e);
  }
}
