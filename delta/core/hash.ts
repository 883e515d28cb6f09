import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** The hash port: the core never picks an implementation; Node passes node:crypto, wasm noble. */
export interface Sha256 {
  update(bytes: Uint8Array): void;
  digest(): Uint8Array;
}
export type Sha256Factory = () => Sha256;

/** Pure-JS fallback (noble): slower than node:crypto but runs everywhere the core runs. */
export const pureSha256: Sha256Factory = () => {
  const h = nobleSha256.create();
  return {
    update: (bytes) => void h.update(bytes),
    digest: () => h.digest(),
  };
};

export const sha256Of = (factory: Sha256Factory, bytes: Uint8Array): Uint8Array => {
  const h = factory();
  h.update(bytes);
  return h.digest();
};
