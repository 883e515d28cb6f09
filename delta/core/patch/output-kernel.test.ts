// apply with an output kernel must hand out the same bytes, in the same order, as its own output
// stage: here the kernel is a TypeScript reference of wasm/kernels/apply-output.c's contract
// (wasm/delta.test.ts holds the C kernel to the Node path on real layers).
import { describe, expect, it } from 'vitest';
import { nodeSha256 } from '../../node/hash.js';
import { gnuTarBytes, noise } from '../../node/testing/fixtures.js';
import { makePatch } from '../../node/testing/patch.js';
import { isDeltaError } from '../errors.js';
import { bytesSource, concatBytes } from '../io.js';
import { applyPatch } from './apply.js';
import { BSPATCH_MORE } from './bspatch-port.js';
import { decodeHead } from './format.js';
import { DEFAULT_LIMITS } from './limits.js';
import {
  COPY_META_SHORT,
  COPY_OK,
  COPY_OLD_SHORT,
  KernelOutput,
  type OutputKernel,
} from './output-kernel.js';

/** The kernel's contract over OLD in memory; `calls` counts copy() calls and quads. */
function referenceKernel(old: Uint8Array, sink: (c: Uint8Array) => void) {
  const calls = { copy: 0, quads: 0 };
  let meta = new Uint8Array(0);
  let pos = 0;
  let hash = nodeSha256();
  let file: ReturnType<typeof nodeSha256> | undefined;
  const out = (c: Uint8Array) => {
    hash.update(c);
    file?.update(c);
    sink(c.slice());
  };
  const kernel: OutputKernel = {
    start(m, oldSize) {
      expect(oldSize).toBe(old.length);
      meta = m.slice();
      pos = 0;
      hash = nodeSha256();
      file = undefined;
    },
    beginFile: () => {
      file = nodeSha256();
    },
    fileDigest: () => {
      const d = (file as ReturnType<typeof nodeSha256>).digest();
      file = undefined;
      return d;
    },
    patch: (entry) => {
      let made = 0;
      do {
        const c = entry.run();
        out(c);
        made += c.length;
      } while ((entry.next() & 7) === BSPATCH_MORE);
      return made;
    },
    write: out,
    copy(plan) {
      calls.copy++;
      for (let i = 0; i < plan.length; i += 4) {
        calls.quads++;
        const m = plan[i];
        if (m > meta.length - pos) return COPY_META_SHORT;
        if (m) out(meta.subarray(pos, pos + m));
        pos += m;
        const offset = plan[i + 1] * 2 ** 32 + plan[i + 2];
        const size = plan[i + 3];
        if (offset + size > old.length) return COPY_OLD_SHORT;
        if (size) out(old.subarray(offset, offset + size));
      }
      return COPY_OK;
    },
    finish: () => hash.digest(),
  };
  return { kernel, calls };
}

/** A kernel that takes everything and makes nothing; copy() answers as given. */
const inert = (copy: (plan: Uint32Array) => number): OutputKernel => ({
  start: () => {},
  write: () => {},
  copy,
  beginFile: () => {},
  fileDigest: () => new Uint8Array(32),
  patch: () => 0,
  finish: () => new Uint8Array(32),
});

function layers(files: number, seed: number) {
  const o: Record<string, Uint8Array> = {};
  const n: Record<string, Uint8Array> = {};
  for (let i = 0; i < files; i++) {
    const name = `usr/lib/f${String(i).padStart(3, '0')}`;
    o[name] = noise(300 + ((i * 7919) % 5000), seed + i);
    n[name] = o[name];
    if (i % 9 === 4) {
      n[name] = o[name].slice();
      n[name][i % n[name].length] ^= 0x5a;
    }
  }
  n['usr/share/added.txt'] = noise(7000, seed);
  return { old: gnuTarBytes(o), nw: gnuTarBytes(n) };
}

function applyBoth(old: Uint8Array, nw: Uint8Array) {
  const patch = makePatch(old, nw);
  const decoded = decodeHead(bytesSource(patch), DEFAULT_LIMITS);
  const run = (output?: OutputKernel) => {
    const chunks: Uint8Array[] = [];
    applyPatch({
      patch: bytesSource(patch),
      old: bytesSource(old),
      decoded,
      sha256: nodeSha256,
      limits: DEFAULT_LIMITS,
      sink: (c) => chunks.push(c.slice()),
      output,
    });
    return concatBytes(chunks);
  };
  const plain = run();
  const viaKernel: Uint8Array[] = [];
  const ref = referenceKernel(old, (c) => viaKernel.push(c));
  const sinkBytes = run(ref.kernel);
  return { plain, kernel: concatBytes(viaKernel), sinkBytes, calls: ref.calls };
}

describe('apply through an output kernel', () => {
  it('rebuilds the same bytes, the unchanged files of a run in one copy()', () => {
    const { old, nw } = layers(60, 3);
    const got = applyBoth(old, nw);
    expect(got.plain).toEqual(nw);
    expect(got.kernel).toEqual(nw);
    // Nothing reaches the sink: the kernel writes the output itself.
    expect(got.sinkBytes.length).toBe(0);
    // 60 files, 7 changed (every 9th), 1 added: a copy() per run of unchanged files, not per file.
    expect(got.calls.quads).toBeGreaterThanOrEqual(53);
    expect(got.calls.copy).toBeLessThanOrEqual(10);
  });

  it('splits a file of 4 GiB or more over quads of 32-bit sizes', () => {
    const plans: number[][] = [];
    const kernel = inert((plan) => {
      plans.push([...plan]);
      return COPY_OK;
    });
    const out = new KernelOutput(kernel, 2 ** 40);
    out.begin(new Uint8Array(512), 2 ** 40);
    out.copy(512, 2 ** 33 + 5, 2 ** 32 + 3);
    out.digest();
    expect(plans).toEqual([[512, 2, 5, 2 ** 31, 0, 2, 2 ** 31 + 5, 2 ** 31, 0, 3, 5, 3]]);
    expect(out.written).toBe(512 + 2 ** 32 + 3);
  });

  it.each([
    [COPY_META_SHORT, 'DELTA_PATCH_INVALID'],
    [COPY_OLD_SHORT, 'DELTA_SOURCE_MISMATCH'],
  ])('turns the kernel answer %i into %s', (status, code) => {
    const kernel = inert(() => status);
    const out = new KernelOutput(kernel, 1000);
    out.begin(new Uint8Array(0), 1000);
    out.copy(0, 0, 100);
    let err: unknown;
    try {
      out.digest();
    } catch (e) {
      err = e;
    }
    expect(isDeltaError(err) && err.code).toBe(code);
  });

  it('refuses output past the declared size before the kernel sees it', () => {
    const { kernel, calls } = referenceKernel(new Uint8Array(100), () => {});
    const out = new KernelOutput(kernel, 150);
    out.begin(new Uint8Array(100), 100);
    out.copy(100, 0, 50);
    expect(() => out.copy(0, 50, 1)).toThrow(/grows past the declared 150 bytes/);
    expect(() => out.write(new Uint8Array(1))).toThrow(/grows past the declared 150 bytes/);
    expect(calls.copy).toBe(0);
  });
});
