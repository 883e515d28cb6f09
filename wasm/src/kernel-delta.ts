// The delta interface over the kernels, for both kernel entries (component-kernels.ts, the shipped
// qjs-kernels, and component-kernels-hosted-hash.ts). SHA-256 comes from the `hash` import: the C
// kernel inside the component in qjs-kernels (wasm/kernels/adapter.c), the host's in
// qjs-kernels-hosted-hash. A digest resets its context, so contexts are pooled instead of made per
// file.
import hash from 'aloft:engine/hash@0.1.0';
import kernels from 'aloft:engine/kernels@0.1.0';
import { deltaInterface } from './delta.js';
import type { OutputKernel, Sha256Factory } from './delta-core.js';

type HashContext = InstanceType<typeof hash.Sha256>;

/**
 * Updates under SMALL bytes are gathered into GATHER-byte runs before they reach the kernel: each
 * call costs a few microseconds of glue, and a tar of small files makes two per file (its header,
 * its bytes). The digest is the same; larger updates go straight through.
 */
const SMALL = 1 << 12;
const GATHER = 1 << 16;

interface Pooled {
  readonly h: HashContext;
  readonly gathered: Uint8Array;
}
const idle: Pooled[] = [];

const kernelSha256: Sha256Factory = () => {
  const p = idle.pop() ?? { h: new hash.Sha256(), gathered: new Uint8Array(GATHER) };
  let used = 0;
  const drain = () => {
    if (used) p.h.update(p.gathered.subarray(0, used));
    used = 0;
  };
  return {
    update: (bytes) => {
      if (bytes.length >= SMALL) {
        drain();
        p.h.update(bytes);
        return;
      }
      if (used + bytes.length > GATHER) drain();
      p.gathered.set(bytes, used);
      used += bytes.length;
    },
    digest: () => {
      drain();
      const d = p.h.digest();
      idle.push(p);
      return d;
    },
  };
};

// One bspatch kernel and one output kernel for every apply (their buffers are reused).
let bspatch: InstanceType<typeof kernels.Bspatch> | undefined;
let output: InstanceType<typeof kernels.ApplyOutput> | undefined;

/**
 * `outputKernel`: the output is hashed and written by the `apply-output` kernel (C SHA-256 inside
 * the component). Without it, by delta/core's own output stage through the `hash` import: the
 * hosted-hash entry's choice, since there the host's SHA-256 is the faster one.
 */
export const kernelDelta = ({ outputKernel }: { outputKernel: boolean }) =>
  deltaInterface(
    kernelSha256,
    () => {
      bspatch ??= new kernels.Bspatch();
      return bspatch;
    },
    outputKernel
      ? (): OutputKernel => {
          output ??= new kernels.ApplyOutput();
          return output;
        }
      : undefined,
  );
