import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { describePatch, type Manifest, signManifest, toHex, trustedKey } from '../../protocol/index.js';
import { nodeSha256 } from '../node-sha256.js';

// Real bytes nobody here wrote: third-party binaries that `npm ci` always installs.
const CANDIDATES = [
  'node_modules/@bytecodealliance/jco-transpile/vendor/wasm-tools.core.wasm',
  'node_modules/@esbuild/linux-x64/bin/esbuild',
  'node_modules/typescript/lib/typescript.js',
];

export function realPayload(root: string, maxBytes: number): { bytes: Uint8Array; source: string } {
  for (const rel of CANDIDATES) {
    const path = join(root, rel);
    if (existsSync(path))
      return { bytes: new Uint8Array(readFileSync(path)).subarray(0, maxBytes), source: rel };
  }
  throw new Error(`no real payload found under ${root}/node_modules: run npm ci`);
}

export const imageDigest = (bytes: Uint8Array) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export function testKeys(seed: number) {
  const secretKey = ed25519.utils.randomSecretKey(new Uint8Array(32).fill(seed));
  const publicKey = ed25519.getPublicKey(secretKey);
  return { secretKey, publicKey, publicKeyHex: toHex(publicKey), trusted: trustedKey(publicKey) };
}

export function makeManifest(
  patch: Uint8Array,
  fields: {
    fleet: string;
    sequence: number;
    precursor: string;
    target: string;
    now: number;
    blockSize?: number;
  },
): Manifest {
  const blockSize = fields.blockSize ?? 16384;
  const { digest, blockHashes } = describePatch(patch, blockSize, nodeSha256);
  return {
    version: 1,
    fleet: fields.fleet,
    sequence: fields.sequence,
    precursor: fields.precursor,
    target: { imageId: fields.target, diffIds: [fields.target] },
    patch: { kind: 'delta', digest, size: patch.length, blockSize, blockHashes },
    strategy: { name: 'download-then-kill', timeoutMs: 60_000 },
    issuedAt: fields.now,
    expiresAt: fields.now + 3_600_000,
  };
}

export const sign = signManifest;
