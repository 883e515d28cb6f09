import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gnuTar, noise, tempDir, writeTree } from '../../node/testing/fixtures.js';
import { ByteBuilder, bytesSource, concatBytes } from '../io.js';
import { checksumOk } from './header.js';
import { scanTar, scanTarSpans } from './layout.js';
import { type TarEntry, TarParser } from './parser.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

const longName = `${'a-rather-long-directory-name/'.repeat(6)}file.txt`;
const longLink = `${'../'.repeat(40)}target`;

function buildTree(): string {
  const root = join(tmp.dir, 'tree');
  writeTree(root, {
    'bin/tool': noise(3000, 5),
    [longName]: 'long',
    'etc/link': { symlink: longLink },
    'etc/short-link': { symlink: 'tool' },
    'etc/hard': { hardlink: 'bin/tool' },
    'var/.wh.deleted': '',
    'var/.wh..wh..opq': '',
    empty: '',
    'ünïcode-名前': 'utf8 name',
  });
  execFileSync('mkfifo', [join(root, 'fifo')]);
  execFileSync('mknod', [join(root, 'null-dev'), 'c', '1', '3']);
  // A sparse file: a 64 KiB hole, then data.
  execFileSync('truncate', ['-s', '64K', join(root, 'sparse')]);
  writeFileSync(join(root, 'sparse'), 'tail', { flag: 'a' });
  mkdirSync(join(root, 'emptydir'));
  return root;
}

const root = buildTree();
const FORMATS = ['gnu', 'posix', 'ustar', 'v7'] as const;

function tarOf(format: (typeof FORMATS)[number], sparse: boolean): Uint8Array {
  const out = join(tmp.dir, `${format}${sparse ? '-sparse' : ''}.tar`);
  const ok = format === 'gnu' || format === 'posix';
  // ustar/v7 cannot store the long names: GNU tar warns and skips those members (exit 2).
  try {
    gnuTar(root, out, format, sparse ? ['--sparse'] : []);
  } catch (e) {
    if (ok) throw e;
  }
  return new Uint8Array(readFileSync(out));
}

function parse(bytes: Uint8Array, step: number) {
  const meta = new ByteBuilder();
  const data = new ByteBuilder();
  const all = new ByteBuilder();
  const entries: TarEntry[] = [];
  const p = new TarParser({
    meta: (b) => {
      meta.push(b);
      all.push(b);
    },
    data: (b) => {
      data.push(b);
      all.push(b);
    },
    entry: (e) => entries.push(e),
  });
  for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
  p.end();
  return { meta: meta.bytes(), data: data.bytes(), all: all.bytes(), entries };
}

describe('TarParser on archives written by GNU tar', () => {
  for (const format of FORMATS)
    for (const sparse of [false, true]) {
      if (sparse && (format === 'ustar' || format === 'v7')) continue;
      it(`${format}${sparse ? ' --sparse' : ''}: one byte at a time, meta + data is the archive`, () => {
        const bytes = tarOf(format, sparse);
        const byByte = parse(bytes, 1);
        expect(byByte.all).toEqual(bytes);
        // Any chunking gives the same split.
        for (const step of [7, 4096]) {
          const other = parse(bytes, step);
          expect(other.meta).toEqual(byByte.meta);
          expect(other.entries.map((e) => [e.path, e.size, e.dataOffset])).toEqual(
            byByte.entries.map((e) => [e.path, e.size, e.dataOffset]),
          );
        }
        const byPath = new Map(byByte.entries.map((e) => [e.path.replace(/^\.\//, ''), e]));
        expect(byPath.get('bin/tool')?.size).toBe(3000);
        expect(byPath.get('etc/short-link')?.typeflag).toBe('2');
        expect(byPath.get('etc/hard')?.typeflag ?? byPath.get('bin/tool')?.typeflag).toBe('1');
        if (format !== 'v7') {
          expect(byPath.get('fifo')?.typeflag).toBe('6');
          expect(byPath.get('null-dev')?.typeflag).toBe('3');
        }
        expect(byPath.get('var/.wh.deleted')?.size).toBe(0);
        if (format === 'gnu' || format === 'posix') {
          expect(byPath.get(longName)?.size).toBe(4);
          expect(byPath.get('etc/link')?.linkpath).toBe(longLink);
        }
        if (sparse && format === 'gnu') expect(byPath.get('sparse')?.typeflag).toBe('S');
        // The random-access scan (skipping data) finds the same regions and meta.
        const layout = scanTar(bytesSource(bytes));
        expect(layout.meta).toEqual(byByte.meta);
        expect(layout.regions.map((r) => r.offset)).toEqual(
          byByte.entries.filter((e) => e.size > 0).map((e) => e.dataOffset),
        );
        // Without names (apply's layout of OLD): the same regions and meta.
        const spans = scanTarSpans(bytesSource(bytes), 1);
        expect(spans.meta).toEqual(layout.meta);
        expect(spans.regions).toEqual(layout.regions.map((r) => ({ offset: r.offset, size: r.size })));
      });
    }

  it('keeps pax global headers and whatever follows the end marker as meta', () => {
    const out = join(tmp.dir, 'global.tar');
    gnuTar(root, out, 'posix', ['--pax-option=globexthdr.name=g,comment=hello']);
    const bytes = concatBytes([new Uint8Array(readFileSync(out)), new Uint8Array(700).fill(7)]);
    const r = parse(bytes, 3);
    expect(r.all).toEqual(bytes);
  });

  it('rejects an archive cut inside an entry', () => {
    const bytes = tarOf('gnu', false);
    const first = parse(bytes, 512).entries.find((e) => e.size > 1000) as TarEntry;
    const p = new TarParser({});
    p.push(bytes.subarray(0, first.dataOffset + 10));
    expect(() => p.end()).toThrow(/ends inside an entry/);
  });

  it('rejects a header with a bad checksum', () => {
    const bytes = tarOf('gnu', false).slice();
    bytes[0] ^= 0x40;
    expect(() => new TarParser({}).push(bytes)).toThrow(/checksum/);
  });
});

describe('scanTarSpans (no names)', () => {
  const outcome = (scan: () => { regions: { offset: number; size: number }[]; meta: Uint8Array }) => {
    try {
      const l = scan();
      // The meta as one string: toEqual on a Uint8Array compares element by element (slow).
      return {
        regions: l.regions.map((r) => [r.offset, r.size]),
        meta: Buffer.from(l.meta).toString('base64'),
      };
    } catch (e) {
      return { error: String(e) };
    }
  };
  it('finds what scanTar finds, or fails with its error, on damaged archives', () => {
    const archives = [tarOf('gnu', true), tarOf('posix', false), tarOf('ustar', false), tarOf('v7', false)];
    let errors = 0;
    for (let t = 0; t < 400; t++) {
      const bytes = archives[t % archives.length].slice();
      // A changed byte in a header block most of the time (where the parser looks), the odd cut.
      const r = noise(8, t);
      const headers = Math.floor(bytes.length / 512);
      const at =
        ((r[0] | (r[1] << 8)) % headers) * 512 + (t % 3 ? 100 + (r[2] % 60) + (r[3] % 2) * 200 : r[2] + r[3]);
      if (at < bytes.length) bytes[at] = t % 2 ? r[4] : bytes[at] ^ (1 << (r[5] % 8));
      const cut = t % 9 === 0 ? bytes.subarray(0, (r[6] | (r[7] << 8)) % bytes.length) : bytes;
      const full = outcome(() => scanTar(bytesSource(cut)));
      if ('error' in full) errors++;
      expect(outcome(() => scanTarSpans(bytesSource(cut), 1))).toEqual(full);
    }
    // Both outcomes were exercised.
    expect(errors).toBeGreaterThan(25);
    expect(errors).toBeLessThan(375);
  });
});

describe('checksumOk (summed four bytes a step)', () => {
  // The definition, a byte at a time: the checksum field read as spaces, bytes unsigned or signed.
  const sums = (b: Uint8Array) => {
    let unsigned = 0;
    let signed = 0;
    for (let i = 0; i < 512; i++) {
      const x = i >= 148 && i < 156 ? 0x20 : b[i];
      unsigned += x;
      signed += x > 127 ? x - 256 : x;
    }
    return [unsigned, signed];
  };
  it('agrees with the byte-at-a-time sums, signed and unsigned, at any alignment', () => {
    for (let t = 0; t < 400; t++) {
      const at = t % 7;
      const b = noise(512 + at, t).subarray(at, at + 512);
      // 0: any bytes, unsigned sum; 1: a few high bytes, signed sum; 2: ASCII; 3: a wrong sum.
      if (t % 4) for (let i = 0; i < 512; i++) if (t % 4 !== 1 || i % 50) b[i] &= 0x7f;
      const [unsigned, signed] = sums(b);
      const stored = t % 4 === 1 ? signed : t % 4 === 3 ? unsigned + 1 : unsigned;
      if (t % 4 === 1) expect(signed).not.toBe(unsigned);
      const field = `${stored.toString(8).padStart(6, '0')}\0 `;
      for (let i = 0; i < 8; i++) b[148 + i] = field.charCodeAt(i);
      expect(checksumOk(b)).toBe(t % 4 !== 3);
    }
    expect(checksumOk(new Uint8Array(100))).toBe(false);
  });
});
