// Entry of the `engine-kernels` world for qjs-kernels-hosted-hash: the same engine and kernels,
// with SHA-256 from the host (wasm/compose.mjs leaves the `hash` import to it). The output is
// hashed through that import by delta/core's own output stage: the `apply-output` kernel would
// hash it in wasm, which is what lending SHA-256 avoids.
import { kernelDelta } from './kernel-delta.js';
import { checkPolicy, evaluatePolicy } from './policy.js';

export const policy = { checkPolicy, evaluatePolicy };
export const delta = kernelDelta({ outputKernel: false });
