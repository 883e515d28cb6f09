// Entry of the `engine-kernels` world: the engine half of the composed components
// (wasm/compose.mjs). SHA-256 comes from the `hash` import: in the shipped qjs-kernels the
// composition wires it to the C kernel running inside this component (wasm/kernels/adapter.c), so
// nothing is borrowed from the host; in qjs-kernels-hosted-hash it is the host's. bspatch, zstd,
// gzip and the tar sum are kernels inside either way. A digest resets its context, so contexts
// are pooled instead of made per file.
import hash from 'aloft:engine/hash@0.1.0';
import kernels from 'aloft:engine/kernels@0.1.0';
import { deltaInterface } from './delta.js';
import type { Sha256Factory } from './delta-core.js';
import { checkPolicy, evaluatePolicy } from './policy.js';

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

export const policy = { checkPolicy, evaluatePolicy };
// One bspatch kernel for every apply (its pages and buffers are reused; cabi_realloc cannot free).
let bspatch: InstanceType<typeof kernels.Bspatch> | undefined;
export const delta = deltaInterface(kernelSha256, () => {
  bspatch ??= new kernels.Bspatch();
  return bspatch;
});
