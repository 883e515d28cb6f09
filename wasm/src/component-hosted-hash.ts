// Entry of the `engine-hosted-hash` world: the same engine, with SHA-256 from the host's `hash`
// import (the core's Sha256Factory port, filled across the component boundary).
import hash from 'aloft:engine/hash@0.1.0';
import { deltaInterface } from './delta.js';
import { checkPolicy, evaluatePolicy } from './policy.js';

export const policy = { checkPolicy, evaluatePolicy };
export const delta = deltaInterface(() => {
  const h = new hash.Sha256();
  return { update: (bytes) => h.update(bytes), digest: () => h.digest() };
});
