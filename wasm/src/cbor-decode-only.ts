// What the engine bundle gets for `import ... from 'cbor-x'` (wasm/build.mjs): cbor-x's own
// decoder, without its encoder. The component only reads CBOR (a patch head, a policy); the
// encoder is ~40 KB of JS, and every byte of JS costs about ten in the QuickJS snapshot.
// delta/core's format.ts makes one `Encoder` for both directions: here that is a Decoder whose
// encode() says why it is missing.
import { Decoder, decode } from 'cbor-x/decode';

const missing = (): never => {
  throw new Error('CBOR encoding is not part of the wasm engine: it only applies patches and reads policies');
};

export class Encoder extends Decoder {
  encode(_value: unknown): never {
    return missing();
  }
}

export const encode = (_value: unknown): never => missing();
export { Decoder, decode };
