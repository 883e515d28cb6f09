// Which old file each new file is built from: the same path first, then the same content (a
// rename), then a look-alike name (digits masked, so libfoo.so.1.2 finds libfoo.so.1.3, and the
// same file name in another folder). Names are only keys here; nothing touches a file system.
import { hex } from '../errors.js';
import type { Sha256Factory } from '../hash.js';
import type { DataRegion } from '../tar/index.js';

export type Match = { how: 'same'; old: number } | { how: 'diff'; old: number } | { how: 'none' };

const normalize = (p: string): string => p.replace(/^\.?\//, '').replace(/^\.\//, '');
const masked = (p: string): string => normalize(p).replace(/[0-9]+/g, '#');
const basename = (p: string): string => p.slice(p.lastIndexOf('/') + 1);

export function matchRegions(
  oldRegions: readonly DataRegion[],
  newRegions: readonly DataRegion[],
  oldBytes: Uint8Array,
  newBytes: Uint8Array,
  sha256: Sha256Factory,
): Match[] {
  const byPath = new Map<string, number>();
  const byMasked = new Map<string, number>();
  const byBase = new Map<string, number>();
  oldRegions.forEach((r, i) => {
    byPath.set(normalize(r.path), i);
    byMasked.set(masked(r.path), i);
    byBase.set(masked(basename(r.path)), i);
  });
  let byHash: Map<string, number> | undefined;
  const hashOf = (bytes: Uint8Array, r: DataRegion) => {
    const h = sha256();
    h.update(bytes.subarray(r.offset, r.offset + r.size));
    return hex(h.digest());
  };
  const equal = (o: DataRegion, n: DataRegion): boolean => {
    if (o.size !== n.size) return false;
    const a = oldBytes.subarray(o.offset, o.offset + o.size);
    const b = newBytes.subarray(n.offset, n.offset + n.size);
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  return newRegions.map((n): Match => {
    const same = byPath.get(normalize(n.path));
    if (same !== undefined && equal(oldRegions[same], n)) return { how: 'same', old: same };
    if (!byHash) {
      byHash = new Map();
      for (let i = oldRegions.length - 1; i >= 0; i--) byHash.set(hashOf(oldBytes, oldRegions[i]), i);
    }
    const renamed = byHash.get(hashOf(newBytes, n));
    if (renamed !== undefined && equal(oldRegions[renamed], n)) return { how: 'same', old: renamed };
    const similar = same ?? byMasked.get(masked(n.path)) ?? byBase.get(masked(basename(n.path)));
    if (similar !== undefined) {
      const o = oldRegions[similar];
      // A look-alike far off in size is more likely a different file than a new version.
      if (same !== undefined || (o.size * 4 >= n.size && n.size * 4 >= o.size))
        return { how: 'diff', old: similar };
    }
    return { how: 'none' };
  });
}
