// The one place the component reaches into delta/core, through its public face.
export {
  applyPatch,
  type BspatchKernel,
  DEFAULT_LIMITS,
  type DecodedHead,
  DeltaError,
  type Digest,
  decodeHead,
  hex,
  isDeltaError,
  type OutputKernel,
  pureSha256,
  type RandomAccess,
  type Sha256Factory,
  STREAMS,
} from '../../delta/core/index.js';
