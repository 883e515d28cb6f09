// Entry of the `engine-kernels` world: the engine half of the shipped composition
// (wasm/compose.mjs). SHA-256 comes from the `hash` import, which the composition wires to the
// C kernel running inside this component (wasm/kernels/adapter.c): nothing is borrowed from the
// host; bspatch's add step runs there too. A digest resets its context, so contexts are pooled
// instead of made per file.
import hash from 'aloft:engine/hash@0.1.0';
import kernels from 'aloft:engine/kernels@0.1.0';
import { deltaInterface } from './delta.js';
import type { Sha256Factory } from './delta-core.js';
import { checkPolicy, evaluatePolicy } from './policy.js';

type HashContext = InstanceType<typeof hash.Sha256>;
const idle: HashContext[] = [];

const kernelSha256: Sha256Factory = () => {
  const h = idle.pop() ?? new hash.Sha256();
  return {
    update: (bytes) => h.update(bytes),
    digest: () => {
      const d = h.digest();
      idle.push(h);
      return d;
    },
  };
};

export const policy = { checkPolicy, evaluatePolicy };
// One bspatch kernel for every apply (its pages and buffers are reused; cabi_realloc cannot free).
let bspatch: InstanceType<typeof kernels.Bspatch> | undefined;
export const delta = deltaInterface(
  kernelSha256,
  (diff, old) => kernels.addBytes(diff, old),
  () => {
    bspatch ??= new kernels.Bspatch();
    return bspatch;
  },
);
