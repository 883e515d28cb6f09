// Versions are compared as dotted numbers ("1.10.2" > "1.9"), the way device images are
// usually tagged; a leading "v" is ignored and a pre-release ("1.2.0-rc1") sorts before its
// release, as in SemVer. Non-numeric parts compare as text so any tag still orders stably.

export function compareVersions(a: string, b: string): number {
  const [coreA, preA] = split(a);
  const [coreB, preB] = split(b);
  const n = Math.max(coreA.length, coreB.length);
  for (let i = 0; i < n; i++) {
    const c = comparePart(coreA[i] ?? '0', coreB[i] ?? '0');
    if (c !== 0) return c;
  }
  if (preA === preB) return 0;
  if (preA === null) return 1;
  if (preB === null) return -1;
  return preA < preB ? -1 : 1;
}

function split(v: string): [string[], string | null] {
  const text = v.startsWith('v') ? v.slice(1) : v;
  const dash = text.indexOf('-');
  const core = dash < 0 ? text : text.slice(0, dash);
  return [core.split('.'), dash < 0 ? null : text.slice(dash + 1)];
}

function comparePart(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : Number.NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : Number.NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na === nb ? 0 : na < nb ? -1 : 1;
  return a === b ? 0 : a < b ? -1 : 1;
}
