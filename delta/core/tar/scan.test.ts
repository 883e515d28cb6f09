// TarParser.scan (header to header over a random-access source, apply's layout of OLD) against
// push() (every byte through the states): the same regions, the same meta, the same errors, on
// archives GNU tar writes, on hand-made hostile ones and on damaged copies, whatever the read size.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { gnuTar, noise, tempDir, writeTree } from '../../node/testing/fixtures.js';
import { ByteBuilder, concatBytes, type RandomAccess } from '../io.js';
import { readNumber, readSize, readStoredSum } from './header.js';
import { TarParser } from './parser.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

type Outcome = { regions: number[][]; meta: string; entries: number } | { error: string };

const failure = (e: unknown): Outcome => {
  if (!(e instanceof Error)) throw e;
  return { error: `${(e as { code?: string }).code} ${e.message}` };
};

/** What a parser in span mode, driven by `drive`, reports: its layout, or its error. */
function outcome(drive: (p: TarParser) => void, maxExtensionBytes = 1 << 20): Outcome {
  const meta = new ByteBuilder();
  const regions: number[][] = [];
  const p = new TarParser(
    { meta: (b) => meta.push(b), span: (o, n) => n > 0 && regions.push([o, n]) },
    { maxExtensionBytes },
    false,
  );
  try {
    drive(p);
  } catch (e) {
    return failure(e);
  }
  return { regions, meta: Buffer.from(meta.bytes()).toString('base64'), entries: p.entryCount };
}

/** The reference: push() in pieces of `step` bytes. */
const viaPush = (bytes: Uint8Array, step: number, maxExtensionBytes?: number): Outcome =>
  outcome((p) => {
    for (let i = 0; i < bytes.length; i += step) p.push(bytes.subarray(i, i + step));
    p.end();
  }, maxExtensionBytes);

/**
 * A source like apply's: `reuse` hands out one buffer for every read (old-layout's reusingReads),
 * scribbled over first, so a view kept past the next read shows.
 */
function source(bytes: Uint8Array, reuse: boolean): RandomAccess {
  let buf = new Uint8Array(0);
  return {
    size: bytes.length,
    read(offset, length) {
      if (!reuse) return bytes.slice(offset, offset + length);
      if (buf.length < length) buf = new Uint8Array(length);
      buf.fill(0xee);
      buf.set(bytes.subarray(offset, offset + length));
      return buf.subarray(0, length);
    },
  };
}

const viaScan = (bytes: Uint8Array, chunk: number, reuse: boolean, maxExtensionBytes?: number): Outcome =>
  outcome((p) => p.scan(source(bytes, reuse), chunk), maxExtensionBytes);

const CHUNKS = [512, 700, 1536, 4096, 64 * 1024];

function expectSame(bytes: Uint8Array, maxExtensionBytes?: number): Outcome {
  const want = viaPush(bytes, 1000, maxExtensionBytes);
  expect(viaPush(bytes, 1, maxExtensionBytes)).toEqual(want);
  for (const chunk of CHUNKS)
    for (const reuse of [false, true]) expect(viaScan(bytes, chunk, reuse, maxExtensionBytes)).toEqual(want);
  return want;
}

// Hand-made headers: every field under the test's control.
const enc = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const octal = (n: number, digits: number) => n.toString(8).padStart(digits, '0');

interface HeaderSpec {
  name?: string;
  /** A number (11 digits and a NUL) or the raw field. */
  size?: number | string;
  type?: string;
  magic?: 'ustar' | 'gnu' | 'v7';
  /** The checksum field from the unsigned and the signed sums (default: 6 digits, NUL, space). */
  sum?: (unsigned: number, signed: number) => string;
  /** GNU sparse: an extended block follows. */
  extended?: boolean;
  /** A byte over 127 in the name, so that the signed and unsigned sums differ. */
  high?: boolean;
}

function header(h: HeaderSpec): Uint8Array {
  const b = new Uint8Array(512);
  b.set(enc(h.name ?? 'file.txt'), 0);
  if (h.high) b[90] = 0xe9;
  b.set(enc('0000644\0'), 100);
  b.set(enc('0000000\0'), 108);
  b.set(enc('0000000\0'), 116);
  b.set(enc(typeof h.size === 'string' ? h.size : `${octal(h.size ?? 0, 11)}\0`), 124);
  b.set(enc('14545202105\0'), 136);
  b[156] = (h.type ?? '0').charCodeAt(0);
  if (h.magic !== 'v7') b.set(enc(h.magic === 'gnu' ? 'ustar  \0' : 'ustar\x0000'), 257);
  if (h.extended) b[482] = 1;
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < 512; i++) {
    const x = i >= 148 && i < 156 ? 0x20 : b[i];
    unsigned += x;
    signed += x > 127 ? x - 256 : x;
  }
  b.set(enc((h.sum ?? ((u) => `${octal(u, 6)}\0 `))(unsigned, signed)), 148);
  return b;
}

/** A member: its header, `data` bytes of data (default: the header's size) and padding. */
function member(h: HeaderSpec, data = typeof h.size === 'number' ? h.size : 0, seed = 1): Uint8Array {
  return concatBytes([header(h), noise(data, seed), new Uint8Array((512 - (data % 512)) % 512)]);
}

const pax = (records: Record<string, string>, type = 'x'): Uint8Array => {
  let body = '';
  for (const [k, v] of Object.entries(records)) {
    const rest = ` ${k}=${v}\n`;
    let len = rest.length + 1;
    while (`${len}${rest}`.length !== len) len++;
    body += `${len}${rest}`;
  }
  const bytes = enc(body);
  return concatBytes([
    header({ name: 'PaxHeader', size: bytes.length, type }),
    bytes,
    new Uint8Array(-bytes.length & 511),
  ]);
};

const END = new Uint8Array(1024);
const tar = (...parts: Uint8Array[]) => concatBytes([...parts, END]);

describe('TarParser.scan against push()', () => {
  const plain = tar(
    member({ size: 1000 }),
    member({ name: 'dir/', type: '5' }),
    member({ name: 'hard', type: '1', size: 700 }, 0), // a size, and no data: a hard link
    member({ name: 'node-tar', size: '0000000170 \0' }, 0o170),
    member({ name: 'twelve', size: '000000000100' }, 0o100),
    member({ name: 'spaces', size: '     17 \0\0\0\0' }, 0o17),
    member({ name: 'seven', size: 3000, sum: (u) => `${octal(u, 7)}\0` }),
    member({ name: 'lead', size: 5, sum: (u) => ` ${octal(u, 6)}\0` }),
    member({ name: 'signed', size: 9, high: true, sum: (_u, s) => `${octal(s, 6)}\0 ` }),
    member({ name: 'b256', size: `\x80${'\0'.repeat(9)}\x04\x00` }, 1024),
    member({ name: 'aligned', size: 2048 }),
    member({ name: 'empty', size: 0 }),
  );

  it('splits plain, node-tar, GNU, v7 and base-256 headers the same way', () => {
    const r = expectSame(plain);
    if ('error' in r) throw new Error(r.error);
    expect(r.regions.length).toBe(9);
    expect(r.entries).toBe(12);
    expect(viaScan(tar(member({ size: 3, magic: 'v7' })), 512, true)).toEqual(
      viaPush(tar(member({ size: 3, magic: 'v7' })), 512),
    );
  });

  it('follows pax sizes, long names, global records and sparse maps through push()', () => {
    const bytes = tar(
      member({ size: 10 }),
      pax({ size: '1000', path: 'p'.repeat(300) }),
      member({ name: 'paxed', size: 0 }, 1000),
      member({ name: 'after', size: 20 }),
      member({ name: '././@LongLink', type: 'L', size: 301 }, 301),
      member({ name: 'long', size: 30 }),
      pax({ comment: 'x'.repeat(2000) }, 'g'),
      member({ name: 'sparse', type: 'S', magic: 'gnu', extended: true, size: 600 }, 0),
      concatBytes([new Uint8Array(504), new Uint8Array(8)]), // the extended block: none after it
      noise(600, 3),
      new Uint8Array(512 - 88),
      member({ name: 'last', size: 40 }),
    );
    const r = expectSame(bytes);
    expect('error' in r ? r.error : r.regions.length).toBe(6);
  });

  it('keeps whatever follows the end marker, and a partial block after the last entry', () => {
    expectSame(concatBytes([plain, noise(3000, 9)]));
    expectSame(concatBytes([member({ size: 100 }), noise(300, 4)]));
    expectSame(concatBytes([member({ size: 100 }), member({ size: 1 }).subarray(0, 511)]));
  });

  it('fails where push() fails, with the same code and message', () => {
    const cases: [Uint8Array, RegExp][] = [
      [
        tar(member({ size: 10 }), member({ name: 'bad', size: 10, sum: (u) => `${octal(u + 1, 6)}\0 ` })),
        /checksum/,
      ],
      [
        tar(member({ name: 'bad', size: 10, sum: (u) => `${octal(u, 5)}9\0 ` })),
        /bad octal digit in header at 153/,
      ],
      [tar(member({ size: '0000000001x\0' }, 1)), /bad octal digit in header at 134/],
      [tar(member({ size: `\xff${'\0'.repeat(11)}` }, 0)), /negative base-256/],
      [member({ size: 1000 }).subarray(0, 700), /ends inside an entry at byte 700/],
      [member({ size: 1000 }).subarray(0, 1300), /ends inside an entry at byte 1300/],
      [concatBytes([member({ size: 10 }), pax({ size: '100' }).subarray(0, 600)]), /ends inside an entry/],
      [concatBytes([member({ size: 10 }), pax({ size: '-1' }), member({ size: 1 })]), /bad pax size/],
      [
        header({ name: 'sparse', type: 'S', magic: 'gnu', extended: true, size: 5 }),
        /ends inside an entry at byte 512/,
      ],
      [tar(member({ name: 'L', type: 'L', size: 5000 }, 5000)), /L record of 5000 bytes is too large/],
    ];
    for (const [bytes, error] of cases) {
      const r = expectSame(bytes, 4096);
      expect('error' in r ? r.error : '').toMatch(error);
      expect('error' in r ? r.error : '').toMatch(/^DELTA_TAR_INVALID /);
    }
  });

  it('gives the same outcome on damaged copies of GNU tar archives', () => {
    const root = join(tmp.dir, 'tree');
    writeTree(root, {
      'bin/tool': noise(3000, 5),
      [`${'long-directory-name/'.repeat(6)}file`]: 'long',
      'etc/link': { symlink: `${'../'.repeat(40)}target` },
      'etc/hard': { hardlink: 'bin/tool' },
      'a/b/c': noise(512, 6),
      empty: '',
    });
    mkdirSync(join(root, 'emptydir'));
    execFileSync('truncate', ['-s', '64K', join(root, 'sparse')]);
    writeFileSync(join(root, 'sparse'), 'tail', { flag: 'a' });
    const archives = (['gnu', 'posix', 'ustar'] as const).map((format) => {
      const out = join(tmp.dir, `${format}.tar`);
      try {
        gnuTar(root, out, format, format === 'gnu' ? ['--sparse'] : []);
      } catch (e) {
        if (format !== 'ustar') throw e; // ustar cannot hold the long name: tar skips it (exit 2)
      }
      return new Uint8Array(readFileSync(out));
    });
    let errors = 0;
    for (let t = 0; t < 300; t++) {
      const bytes = archives[t % archives.length].slice();
      const r = noise(8, t + 1000);
      // A changed byte in a header block most of the time (where the parser looks), the odd cut.
      const at =
        ((r[0] | (r[1] << 8)) % (bytes.length >> 9)) * 512 + (t % 3 ? 100 + (r[2] % 60) : r[2] + r[3]);
      if (at < bytes.length) bytes[at] = t % 2 ? r[4] : bytes[at] ^ (1 << (r[5] % 8));
      const cut = t % 7 === 0 ? bytes.subarray(0, (r[6] | (r[7] << 8)) % bytes.length) : bytes;
      const want = viaPush(cut, 4096);
      if ('error' in want) errors++;
      for (const chunk of [512, 1536, 64 * 1024]) expect(viaScan(cut, chunk, t % 2 === 0)).toEqual(want);
    }
    expect(errors).toBeGreaterThan(20);
    expect(errors).toBeLessThan(280);
  });

  it('reports names in order with paths (entries come before the meta that holds their header)', () => {
    const bytes = tar(
      member({ size: 10 }),
      pax({ path: 'named-by-pax' }),
      member({ size: 700 }),
      member({ name: 'd/', type: '5' }),
    );
    const seen = (scan: boolean) => {
      const entries: [string, number, number][] = [];
      let meta = 0;
      const p = new TarParser({
        meta: (b) => (meta += b.length),
        entry: (e) => entries.push([e.path, e.size, e.dataOffset]),
      });
      if (scan) p.scan(source(bytes, true), 512);
      else {
        p.push(bytes);
        p.end();
      }
      return { entries, meta };
    };
    expect(seen(true)).toEqual(seen(false));
    expect(seen(true).entries[1][0]).toBe('named-by-pax');
  });
});

describe('readSize and readStoredSum', () => {
  it('give readNumber’s value, or its error, for any field', () => {
    const alphabet = [0x30, 0x31, 0x37, 0x38, 0x39, 0x20, 0, 0x78, 0x80, 0xff];
    const outcome = (f: () => number) => {
      try {
        return f();
      } catch (e) {
        return String(e);
      }
    };
    const b = new Uint8Array(1024);
    for (let t = 0; t < 20000; t++) {
      const r = noise(24, t + 1);
      const at = (t % 3) * 100;
      // Mostly digits, the odd other byte: the shapes the fast paths take and every way out of them.
      for (let i = 0; i < 12; i++) b[at + 124 + i] = r[i] % 8 ? 0x30 + (r[i] % 8) : alphabet[r[i + 12] % 10];
      for (let i = 0; i < 8; i++)
        b[at + 148 + i] = r[i + 4] % 6 ? 0x30 + (r[i] % 8) : alphabet[r[i + 8] % 10];
      if (t % 4 === 0) b[at + 134 + (t % 8 === 0 ? 1 : 0)] = t % 3 ? 0 : 0x20;
      if (t % 5 === 0) b[at + 154] = t % 2 ? 0 : 0x20;
      expect(outcome(() => readSize(b, at))).toEqual(outcome(() => readNumber(b, at + 124, 12, at)));
      expect(outcome(() => readStoredSum(b, at))).toEqual(outcome(() => readNumber(b, at + 148, 8, at)));
    }
  });
});
