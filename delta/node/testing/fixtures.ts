// Test helpers: real tars written by GNU tar on the fly (never committed), in a temp folder.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const tempDir = (): { dir: string; remove: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'aloft-delta-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

export const sha256Hex = (path: string): string =>
  createHash('sha256').update(readFileSync(path)).digest('hex');

export type TreeSpec = Record<
  string,
  string | Uint8Array | { symlink: string } | { hardlink: string } | { copy: string }
>;

/** Writes a folder from a spec: text/bytes files, symlinks, hard links and copies of real files. */
export function writeTree(root: string, spec: TreeSpec): void {
  for (const [rel, v] of Object.entries(spec)) {
    const path = join(root, rel);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof v === 'string' || v instanceof Uint8Array) writeFileSync(path, v);
    else if ('symlink' in v) symlinkSync(v.symlink, path);
    else if ('hardlink' in v) linkSync(join(root, v.hardlink), path);
    else {
      copyFileSync(v.copy, path);
      chmodSync(path, 0o755);
    }
  }
}

/** GNU tar with a fixed mtime and owner so the test is about the format, not the clock. */
export function gnuTar(
  from: string,
  to: string,
  format: 'gnu' | 'posix' | 'ustar' | 'v7',
  extra: string[] = [],
): void {
  execFileSync('tar', [
    `--format=${format}`,
    '--sort=name',
    '--mtime=2024-01-02 03:04:05',
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    ...extra,
    '-cf',
    to,
    '-C',
    from,
    '.',
  ]);
}

/** Deterministic pseudo-random bytes (xorshift) for binary-looking test files. */
export function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A GNU-format tar of a tree spec, as bytes. */
export function gnuTarBytes(spec: TreeSpec, format: 'gnu' | 'posix' | 'ustar' = 'gnu'): Uint8Array {
  const t = tempDir();
  try {
    writeTree(join(t.dir, 'root'), spec);
    gnuTar(join(t.dir, 'root'), join(t.dir, 'out.tar'), format);
    return new Uint8Array(readFileSync(join(t.dir, 'out.tar')));
  } finally {
    t.remove();
  }
}
