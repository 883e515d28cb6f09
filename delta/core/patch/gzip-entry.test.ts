import { execFileSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../node/hash.js';
import { gnuTarBytes } from '../../node/testing/fixtures.js';
import { applyInMemory, assemble, digestOf, testCompress, withTable } from '../../node/testing/patch.js';
import { isDeltaError, sameBytes } from '../errors.js';
import { bytesSource, concatBytes } from '../io.js';
import { StreamReader } from '../zstd/index.js';
import { createPatch } from './create.js';
import { describePatch } from './describe.js';
import { decodeHead, STREAMS, type StreamName } from './format.js';
import { DEFAULT_LIMITS } from './limits.js';
import { decodeTable, GZ_BASE_INFLATED, GZ_BASE_NONE, type GzipItem, OP_GZIP, type Table } from './table.js';

// Real gzip members, made by GNU gzip as dh_compress does (`gzip -9n`), inside real tars.
const gzipN = (text: string, level = 9, name?: string): Uint8Array =>
  new Uint8Array(
    execFileSync('gzip', name ? [`-${level}`, '-c'] : [`-${level}`, '-n', '-c'], {
      input: text,
      maxBuffer: 1 << 26,
    }),
  );

const changelog = (versions: number) => {
  let s = '';
  for (let v = versions; v > 0; v--)
    s += `openssl (3.0.${v}-1) bookworm-security; urgency=medium\n\n  * Fix CVE-2024-${1000 + v}: a bug in ${
      v % 3 ? 'the X.509 parser' : 'the TLS state machine'
    } (closes: #${900000 + v * 7}).\n\n -- Maintainer <m@example.org>  Mon, ${v} Jan 2024 10:00:00 +0000\n\n`;
  return s;
};

const makePair = () => {
  const old = gnuTarBytes({
    'usr/share/doc/pkg/changelog.Debian.gz': gzipN(changelog(400)),
    'usr/share/man/man1/tool.1.gz': gzipN('.TH TOOL 1\n.SH NAME\ntool \\- does things\n'.repeat(50), 9),
    'usr/share/doc/pkg/NEWS.gz': 'not gzip in the old version\n'.repeat(40),
    'usr/bin/tool': 'binary v1',
  });
  const nw = gnuTarBytes({
    'usr/share/doc/pkg/changelog.Debian.gz': gzipN(changelog(403)),
    'usr/share/man/man1/tool.1.gz': gzipN('.TH TOOL 1\n.SH NAME\ntool \\- does more things\n'.repeat(50), 6),
    'usr/share/doc/pkg/NEWS.gz': gzipN('news '.repeat(2000)),
    'usr/share/doc/pkg/README.gz': gzipN(changelog(30), 9, 'README'),
    'usr/bin/tool': 'binary v2',
  });
  return { old, nw };
};

const create = (old: Uint8Array, nw: Uint8Array, gzip = true) => {
  const r = createPatch({
    old,
    new: nw,
    source: digestOf(old),
    newGzip: false,
    sha256: nodeSha256,
    compress: testCompress,
    gzip,
  });
  return { ...r, patch: concatBytes(r.parts) };
};

/** Gzip rows, editable (the table types are read-only). */
type Editable = { -readonly [K in keyof GzipItem]: GzipItem[K] };
const gzipItems = (t: Table) => t.items.filter((i): i is GzipItem => i.op === OP_GZIP) as Editable[];

const expectDeltaError = (f: () => unknown, pattern: RegExp) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isDeltaError(err), String(err)).toBe(true);
  expect(`${(err as { code: string }).code} ${(err as Error).message}`).toMatch(pattern);
};

describe('gzip entries: .gz files travel as a diff of their content', () => {
  const { old, nw } = makePair();
  const made = create(old, nw);

  it('rebuild NEW byte for byte from real gzip -9n / -6n members', () => {
    expect(made.stats.gzip).toBe(4);
    expect(made.head.version).toBe(2);
    expect(sameBytes(applyInMemory(old, made.patch), nw)).toBe(true);
  });

  it('use the inflated old file when it is gzip, nothing when there is no old file', () => {
    const spec = decodeHead(bytesSource(made.patch), DEFAULT_LIMITS).specs.table;
    const t = decodeTable(new StreamReader(bytesSource(made.patch), spec, 1 << 24).read(spec.rawSize), 4);
    const bases = gzipItems(t).map((i) => i.base);
    expect(bases).toContain(GZ_BASE_INFLATED);
    expect(bases).toContain(GZ_BASE_NONE);
    expect(gzipItems(t).map((i) => i.level)).toEqual(expect.arrayContaining([6, 9]));
  });

  it('are much smaller than a diff of the compressed bytes, and counted by delta info', () => {
    const plain = create(old, nw, false);
    expect(plain.head.version).toBe(1);
    expect(plain.stats.gzip).toBe(0);
    expect(made.size).toBeLessThan(plain.size * 0.6);
    expect(describePatch(bytesSource(made.patch), DEFAULT_LIMITS).entries.gzip).toBe(4);
    expect(sameBytes(applyInMemory(old, plain.patch), nw)).toBe(true);
  });

  it('a zlib-made member is not claimed (it travels as before)', () => {
    const zlibbed = gnuTarBytes({ 'a.gz': new Uint8Array(gzipSync(changelog(50), { level: 9 })) });
    const r = create(old, zlibbed);
    expect(r.stats.gzip).toBe(0);
    expect(sameBytes(applyInMemory(old, r.patch), zlibbed)).toBe(true);
  });
});

describe('gzip entries: hostile tables end in a DeltaError before allocating', () => {
  const { old, nw } = makePair();
  const { patch } = create(old, nw);
  const hostile = (edit: (g: Editable) => void) =>
    withTable(patch, (t) => {
      const g = gzipItems(t).find((i) => i.base === GZ_BASE_INFLATED) as Editable;
      edit(g);
    });

  it('the re-assembled patch itself applies (the harness is sound)', () => {
    expect(
      sameBytes(
        applyInMemory(
          old,
          withTable(patch, () => {}),
        ),
        nw,
      ),
    ).toBe(true);
  });

  it('a content size past the file limit', () => {
    const p = hostile((g) => {
      g.rawSize = 2 ** 40;
      g.extra += 2 ** 40;
    });
    expectDeltaError(() => applyInMemory(old, p), /TOO_LARGE/);
  });

  it('an old content size past the file limit (an inflate bomb)', () => {
    expectDeltaError(
      () =>
        applyInMemory(
          old,
          hostile((g) => {
            g.oldRawSize = 2 ** 31;
          }),
        ),
      /TOO_LARGE/,
    );
  });

  it('an old content size smaller than the old file inflates to', () => {
    expectDeltaError(
      () =>
        applyInMemory(
          old,
          hostile((g) => {
            g.oldRawSize = 100;
          }),
        ),
      /SOURCE_MISMATCH.*more than 100/,
    );
  });

  it('content sizes that disagree with the diff, or exceed the streams', () => {
    expectDeltaError(
      () =>
        applyInMemory(
          old,
          hostile((g) => {
            g.rawSize += 1;
          }),
        ),
      /disagrees/,
    );
    expectDeltaError(
      () =>
        applyInMemory(
          old,
          hostile((g) => {
            g.extra += 1 << 20;
            g.rawSize += 1 << 20;
          }),
        ),
      /more bytes than its streams/,
    );
  });

  it('a level gzip -1..-3 would use, a bad header size, a bad size', () => {
    expectDeltaError(
      () =>
        applyInMemory(
          old,
          hostile((g) => {
            g.level = 3;
          }),
        ),
      /level 3/,
    );
    expectDeltaError(
      () =>
        applyInMemory(
          old,
          hostile((g) => {
            g.headerSize = 2;
          }),
        ),
      /header/,
    );
    expectDeltaError(
      () =>
        applyInMemory(
          old,
          hostile((g) => {
            g.size -= 1;
          }),
        ),
      /PATCH_INVALID|OUTPUT_MISMATCH/,
    );
  });

  it('a gzip base pointing at a non-gzip old file', () => {
    const p = hostile((g) => {
      g.oldIndex = 3;
    });
    expectDeltaError(() => applyInMemory(old, p), /SOURCE_MISMATCH|PATCH_INVALID/);
  });

  it('an unknown base, and a gzip entry in a format 1 patch', () => {
    const p = withTable(patch, (t) => {
      (gzipItems(t)[0] as { base: number }).base = 7;
    });
    expectDeltaError(() => applyInMemory(old, p), /unknown gzip base/);
    const v1 = (() => {
      const pp = bytesSource(patch);
      const { head, specs } = decodeHead(pp, DEFAULT_LIMITS);
      const raw = Object.fromEntries(
        STREAMS.map((n) => [n, new StreamReader(pp, specs[n], 1 << 24).read(specs[n].rawSize)]),
      ) as Record<StreamName, Uint8Array>;
      const { streams: _, ...base } = head;
      return assemble({ ...base, version: 1 }, raw);
    })();
    expectDeltaError(() => applyInMemory(old, v1), /format 1 patch/);
  });
});

describe('gzip entries: fuzz', () => {
  it('1000 mutants of a gzip patch end in a rebuild or a DeltaError', () => {
    const { old, nw } = makePair();
    const { patch } = create(old, nw);
    let x = 4242;
    const rnd = (n: number) => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    let rejected = 0;
    for (let i = 0; i < 1000; i++) {
      const m = patch.slice();
      const at = rnd(3) === 0 ? rnd(Math.min(m.length, 600)) : rnd(m.length);
      for (let k = 0; k < 1 + rnd(4) && at + k < m.length; k++) m[at + k] = rnd(256);
      try {
        const out = applyInMemory(old, m, { maxTargetBytes: 1 << 24, maxFileBytes: 1 << 24 });
        expect(sameBytes(out, nw)).toBe(true);
      } catch (e) {
        if (!isDeltaError(e)) throw new Error(`mutant ${i} threw a non-delta error: ${String(e)}`);
        rejected++;
      }
    }
    expect(rejected).toBeGreaterThan(600);
  });
});
