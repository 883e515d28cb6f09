import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { concatBytes, sameBytes } from '../delta/core/index.js';
import { createPatch } from '../delta/core/patch/create.js';
import { GZ_BASE_INFLATED, type GzipItem, OP_GZIP } from '../delta/core/patch/table.js';
import { nodeSha256 } from '../delta/node/hash.js';
import { gnuTarBytes } from '../delta/node/testing/fixtures.js';
import { applyInMemory, digestOf, testCompress, withTable } from '../delta/node/testing/patch.js';
import { componentDelta, type DeltaEngine } from './adapters.js';
import { componentPath } from './build.mjs';
import { loadComponent } from './host.js';

// gzip entries through the shipped component: it inflates the old .gz file and re-deflates the
// new one with the C gzip codec (wasm/src/deflate-module.ts over wasm/kernels/deflate*.c) where
// the Node path runs delta/core's TypeScript. A real patch of real `gzip -<level> -n` members must
// rebuild the same bytes; a damaged old member or a hostile table must end in the same typed error
// and message as in Node, and the component must apply the next patch exactly.

const gzipN = (text: string, level: number): Uint8Array =>
  new Uint8Array(execFileSync('gzip', [`-${level}`, '-n', '-c'], { input: text, maxBuffer: 1 << 26 }));

const changelog = (versions: number, seed: number) => {
  let s = '';
  for (let v = versions; v > 0; v--)
    s += `pkg (1.${v}.${(v * seed) % 17}-1) bookworm; urgency=${v % 5 ? 'medium' : 'high'}\n\n  * ${
      v % 3 ? 'Fix a parser bug' : 'New upstream release'
    } (closes: #${900000 + v * seed}).\n  * Line ${v * 31} of ${seed}.\n\n -- M <m@example.org>  ${v} Jan\n\n`;
  return s;
};

// Contents big enough for many blocks and window slides, at each level gzip entries rebuild.
const OLD = gnuTarBytes({
  'usr/share/doc/pkg/changelog.gz': gzipN(changelog(3000, 7), 9),
  'usr/share/doc/pkg/changelog.Debian.gz': gzipN(changelog(200, 3), 9),
  'usr/share/man/man1/pkg.1.gz': gzipN('.TH PKG 1\n.SH NAME\npkg \\- does things\n'.repeat(300), 6),
  'usr/share/doc/pkg/NEWS.gz': gzipN(changelog(500, 5), 4),
  'usr/bin/pkg': 'binary v1',
});
const NEW = gnuTarBytes({
  'usr/share/doc/pkg/changelog.gz': gzipN(changelog(3004, 7), 9),
  'usr/share/doc/pkg/changelog.Debian.gz': gzipN(changelog(203, 3), 9),
  'usr/share/man/man1/pkg.1.gz': gzipN('.TH PKG 1\n.SH NAME\npkg \\- does more things\n'.repeat(300), 6),
  'usr/share/doc/pkg/NEWS.gz': gzipN(changelog(520, 5), 5),
  'usr/share/doc/pkg/TODO.gz': gzipN(changelog(90, 11), 8),
  'usr/bin/pkg': 'binary v2',
});

let kernels: DeltaEngine;
/** The same composition with SHA-256 from the host: the C codec is the same, the hashing not. */
let hosted: DeltaEngine;
let patch: Uint8Array;
let gzipEntries = 0;

beforeAll(async () => {
  kernels = componentDelta(await loadComponent('qjs-kernels'));
  hosted = componentDelta(await loadComponent('qjs-kernels-hosted-hash'));
  const made = createPatch({
    old: OLD,
    new: NEW,
    source: digestOf(OLD),
    newGzip: false,
    sha256: nodeSha256,
    compress: testCompress,
  });
  patch = concatBytes(made.parts);
  gzipEntries = made.stats.gzip;
}, 240_000);

const source = (b: Uint8Array) => ({ size: b.length, read: (o: number, n: number) => b.subarray(o, o + n) });

function inComponent(p: Uint8Array, old = OLD, using = kernels): Uint8Array {
  const parts: Uint8Array[] = [];
  using.apply(source(old), source(p), (c) => parts.push(c.slice()));
  return concatBytes(parts);
}

/** The outcome of an apply: its output's digest, or the error's code and message. */
function outcome(fn: () => Uint8Array): string {
  try {
    const out = fn();
    return `ok ${out.length} ${Buffer.from(digestOf(out).sha256).toString('hex')}`;
  } catch (e) {
    return `${(e as { code?: string }).code} ${(e as Error).message}`;
  }
}
const sameOutcome = (p: Uint8Array, old = OLD) => {
  const node = outcome(() => applyInMemory(old, p));
  expect(outcome(() => inComponent(p, old))).toBe(node);
  return node;
};

/** The patch with its table's gzip row of the inflated-base entry edited. */
function withGzipRow(edit: (g: { -readonly [K in keyof GzipItem]: GzipItem[K] }) => void): Uint8Array {
  return withTable(patch, (table) =>
    edit(table.items.find((i) => i.op === OP_GZIP && i.base === GZ_BASE_INFLATED) as GzipItem),
  );
}

describe('gzip entries applied by the component with the C gzip codec', () => {
  it('the engine bundle has the kernel module in place of the TypeScript codec', () => {
    // Written by the build beside the component. The TS encoder's level table and CRC-32
    // polynomial would survive minification; the kernel module's class name is there instead.
    const js = readFileSync(componentPath('qjs-kernels').replace(/\.wasm$/, '.js'), 'utf8');
    expect(js).toContain('GzipCodec');
    expect(js).not.toContain('chain:4096');
    expect(js).not.toContain('3988292384');
  });

  it('rebuild NEW byte for byte, like the Node path', () => {
    expect(gzipEntries).toBeGreaterThanOrEqual(4);
    expect(sameBytes(applyInMemory(OLD, patch), NEW)).toBe(true);
    expect(sameBytes(inComponent(patch), NEW)).toBe(true);
    expect(sameBytes(inComponent(patch, OLD, hosted), NEW)).toBe(true);
  });

  it('a damaged old .gz file: the same DeltaError and message as Node, then the next apply is exact', () => {
    const member = gzipN(changelog(3000, 7), 9);
    const at = Buffer.from(OLD).indexOf(Buffer.from(member));
    expect(at).toBeGreaterThan(0);
    const seen = new Set<string>();
    for (const offset of [30, 200, 5000, member.length >> 1, member.length - 12, member.length - 3]) {
      const bad = OLD.slice();
      bad[at + offset] ^= 0x10;
      const o = sameOutcome(patch, bad);
      expect(o).toMatch(/^DELTA_SOURCE_MISMATCH .*the old gzip file is not the one/);
      seen.add(o);
      expect(sameBytes(inComponent(patch), NEW)).toBe(true);
    }
    // Different damage, different refusals: inflate's own messages and the trailer check.
    expect(seen.size).toBeGreaterThan(2);
  });

  it('hostile gzip rows: an inflate ceiling below the old content, another level, a wrong size', () => {
    expect(sameOutcome(withGzipRow(() => {}))).toMatch(/^ok/);
    expect(
      sameOutcome(
        withGzipRow((g) => {
          g.oldRawSize = 100;
        }),
      ),
    ).toMatch(/^DELTA_SOURCE_MISMATCH .*more than 100 bytes/);
    expect(
      sameOutcome(
        withGzipRow((g) => {
          g.level = g.level === 9 ? 6 : 9;
        }),
      ),
    ).toMatch(/^DELTA_(PATCH_INVALID|OUTPUT_MISMATCH)/);
    expect(
      sameOutcome(
        withGzipRow((g) => {
          g.size -= 1;
        }),
      ),
    ).toMatch(/^DELTA_(PATCH_INVALID|OUTPUT_MISMATCH)/);
    expect(sameBytes(inComponent(patch), NEW)).toBe(true);
  });
});
