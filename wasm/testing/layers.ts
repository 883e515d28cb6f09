// Real layer pairs for the delta conformance tests and the benchmark: trees of real files from
// this machine (binaries, node_modules sources), edited the way an app update edits them, and
// packed by GNU tar, the way `docker save` layers are.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface LayerPair {
  readonly name: string;
  readonly oldPath: string;
  readonly newPath: string;
}

export const scratch = (): { dir: string; remove: () => void } => {
  const dir = mkdtempSync(join(tmpdir(), 'aloft-wasm-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

/** Every regular file under `dir`, sorted, up to `limit` bytes in all. */
export function realFiles(dir: string, limit: number): string[] {
  const out: string[] = [];
  let total = 0;
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const s = lstatSync(p); // symlinks are skipped: /usr/bin/X11 points at itself
      if (s.isDirectory()) walk(p);
      else if (s.isFile() && total + s.size <= limit) {
        out.push(p);
        total += s.size;
      }
    }
  };
  walk(dir);
  return out;
}

/** Deterministic bytes that do not compress, from a seed. */
export function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

function tarOf(root: string, file: string): void {
  // Fixed owner and time so the same tree always packs to the same bytes.
  execFileSync('tar', [
    '--format=gnu',
    '--sort=name',
    '--owner=0',
    '--group=0',
    '--mtime=@1700000000',
    '-C',
    root,
    '-cf',
    file,
    '.',
  ]);
}

/**
 * A v1 and a v2 layer of an "app": real files copied from `sources` (up to `bytes`), then in v2
 * some edited in place (a few bytes flipped, as a rebuilt binary), one renamed, a few removed and
 * a new one added.
 */
export function appLayers(dir: string, name: string, sources: string[], bytes: number): LayerPair {
  const files = sources.flatMap((s) => realFiles(s, bytes)).slice(0, 4000);
  const v1 = join(dir, `${name}-v1`);
  const v2 = join(dir, `${name}-v2`);
  files.forEach((src, i) => {
    const rel = `app/${i.toString(36)}-${src.split('/').pop()}`;
    for (const root of [v1, v2]) {
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      copyFileSync(src, join(root, rel));
    }
    const target = join(v2, rel);
    if (i % 7 === 3) {
      const b = readFileSync(target);
      for (let k = 0; k < b.length; k += 4099) b[k] ^= 0x5a;
      writeFileSync(target, b);
    } else if (i % 29 === 5) {
      rmSync(target);
    } else if (i % 31 === 6) {
      copyFileSync(target, `${target}.renamed`);
      rmSync(target);
    }
  });
  writeFileSync(join(v2, 'app/new-data.bin'), noise(50_000, 42));
  writeFileSync(join(v2, 'app/VERSION'), 'v2\n');
  writeFileSync(join(v1, 'app/VERSION'), 'v1\n');
  const pair = { name, oldPath: join(dir, `${name}-v1.tar`), newPath: join(dir, `${name}-v2.tar`) };
  tarOf(v1, pair.oldPath);
  tarOf(v2, pair.newPath);
  rmSync(v1, { recursive: true });
  rmSync(v2, { recursive: true });
  return pair;
}
