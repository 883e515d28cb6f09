import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { bsdiff } from './diff.js';
import { bspatch } from './patch.js';
import { randomBytes, xorshift } from './testing/random.js';
import { x86Filter } from './x86-filter.js';

const same = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((v, i) => v === b[i]);

describe('x86Filter', () => {
  it('is exactly invertible on adversarial random data rich in E8/E9 and 00/FF bytes', () => {
    const rnd = xorshift(13);
    const alphabet = [0xe8, 0xe9, 0x00, 0xff, 0x12, 0x80];
    for (let r = 0; r < 3000; r++) {
      const n = rnd() % 64;
      const x = Uint8Array.from({ length: n }, () => alphabet[rnd() % alphabet.length]);
      expect(same(x86Filter.decode(x86Filter.encode(x)), x)).toBe(true);
      expect(same(x86Filter.encode(x86Filter.decode(x)), x)).toBe(true);
    }
    const big = randomBytes(rnd, 100_000);
    expect(same(x86Filter.decode(x86Filter.encode(big)), big)).toBe(true);
  });

  it('turns relative calls to one target into equal operands', () => {
    const code = new Uint8Array(32);
    // call at 0 -> 100 (rel 95), call at 10 -> 100 (rel 85)
    code.set([0xe8, 95, 0, 0, 0], 0);
    code.set([0xe8, 85, 0, 0, 0], 10);
    const enc = x86Filter.encode(code);
    expect([...enc.subarray(1, 5)]).toEqual([...enc.subarray(11, 15)]);
  });

  it('round-trips a real ELF and shrinks the diff of moved code', () => {
    const elf = new Uint8Array(readFileSync('/usr/bin/bspatch'));
    expect(same(x86Filter.decode(x86Filter.encode(elf)), elf)).toBe(true);
    // Patch through the filter: decode(bspatch(encode(old), bsdiff(encode(old), encode(new)))) == new.
    const moved = new Uint8Array(elf.length + 64);
    moved.set(elf.subarray(0, 4096));
    moved.set(elf.subarray(4096), 4160);
    const fo = x86Filter.encode(elf);
    const fn = x86Filter.encode(moved);
    const s = bsdiff(fo, fn);
    expect(same(x86Filter.decode(bspatch(fo, s, fn.length)), moved)).toBe(true);
  });

  it('leaves short inputs alone', () => {
    for (const x of [new Uint8Array(0), Uint8Array.of(0xe8), Uint8Array.of(0xe8, 0, 0, 0)])
      expect(same(x86Filter.encode(x), x)).toBe(true);
  });
});
