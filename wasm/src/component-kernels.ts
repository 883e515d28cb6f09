// Entry of the `engine-kernels` world for the shipped qjs-kernels: the engine half of the composed
// component (wasm/compose.mjs), every kernel inside, SHA-256 included, so nothing is borrowed from
// the host; apply's output goes through the `apply-output` kernel.
import { kernelDelta } from './kernel-delta.js';
import { checkPolicy, evaluatePolicy } from './policy.js';

export const policy = { checkPolicy, evaluatePolicy };
export const delta = kernelDelta({ outputKernel: true });
