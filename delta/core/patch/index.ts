export { type ApplyInput, applyPatch } from './apply.js';
export type { BspatchKernel } from './bspatch-port.js';
export {
  type Compress,
  type CreateInput,
  type CreateResult,
  type CreateStats,
  createPatch,
} from './create.js';
export { describePatch, type PatchDescription } from './describe.js';
export {
  type DecodedHead,
  type Digest,
  decodeHead,
  encodeHead,
  FORMAT_VERSION,
  isAloftPatch,
  MAGIC,
  type PatchHead,
  STREAMS,
  type StreamName,
} from './format.js';
export { type ApplyLimits, DEFAULT_LIMITS } from './limits.js';
export { type Match, matchRegions } from './match.js';
export { type OldLayout, readOldLayout } from './old-layout.js';
export type { OutputKernel } from './output-kernel.js';
export { decodeTable, encodeTable, type Item, type MetaOp, type Table } from './table.js';
