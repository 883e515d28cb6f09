import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import {
  admitManifest,
  checkBlock,
  countBits,
  type DeviceFacts,
  decodeBlock,
  decodeCbor,
  decodeRepair,
  decodeState,
  describePatch,
  emptyBitmap,
  encodeBlock,
  encodeCbor,
  encodeRepair,
  encodeState,
  invertBitmap,
  LIMITS,
  type Manifest,
  ProtocolError,
  setBit,
  setIndices,
  signManifest,
  signSign1,
  toHex,
  trustedKey,
  verifySign1,
} from './index.js';

const secret = ed25519.utils.randomSecretKey(new Uint8Array(32).fill(7));
const other = ed25519.utils.randomSecretKey(new Uint8Array(32).fill(9));
const key = trustedKey(ed25519.getPublicKey(secret));
const img = (n: number) => `sha256:${toHex(sha256(new Uint8Array([n])))}`;
const patch = Uint8Array.from({ length: 40_000 }, (_, i) => (i * 2654435761) >>> 24);

function manifest(over: Partial<Manifest> = {}): Manifest {
  const { digest, blockHashes } = describePatch(patch, 16384);
  return {
    version: 1,
    fleet: 'drones',
    sequence: 5,
    precursor: img(1),
    target: { imageId: img(2), diffIds: [img(3)] },
    patch: { kind: 'delta', digest, size: patch.length, blockSize: 16384, blockHashes },
    strategy: { name: 'hand-over', timeoutMs: 30_000 },
    issuedAt: 1_000,
    expiresAt: 10_000,
    ...over,
  };
}
const facts: DeviceFacts = {
  fleet: 'drones',
  keys: [key],
  installedSeq: 4,
  currentImage: img(1),
  now: 5_000,
};
const code = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as ProtocolError).code;
  }
  return 'accepted';
};

describe('manifest admission', () => {
  it('accepts a good manifest and returns its fields', () => {
    const m = admitManifest(signManifest(manifest(), secret), facts);
    expect(m.sequence).toBe(5);
    expect(m.patch.size).toBe(40_000);
    expect(m.target.diffIds).toEqual([img(3)]);
    expect(m.strategy).toEqual({ name: 'hand-over', timeoutMs: 30_000 });
  });

  it('refuses each bad manifest with its own reason', () => {
    const good = signManifest(manifest(), secret);
    expect(code(() => admitManifest(signManifest(manifest(), other), facts))).toBe('PROTOCOL_UNKNOWN_KEY');
    const tampered = good.slice();
    tampered[tampered.length - 70] ^= 1; // inside the payload
    expect(code(() => admitManifest(tampered, facts))).toBe('PROTOCOL_BAD_SIGNATURE');
    const badSig = good.slice();
    badSig[badSig.length - 1] ^= 1;
    expect(code(() => admitManifest(badSig, facts))).toBe('PROTOCOL_BAD_SIGNATURE');
    expect(code(() => admitManifest(good, { ...facts, installedSeq: 5 }))).toBe('PROTOCOL_REPLAYED');
    expect(code(() => admitManifest(good, { ...facts, now: 10_000 }))).toBe('PROTOCOL_EXPIRED');
    expect(code(() => admitManifest(good, { ...facts, currentImage: img(9) }))).toBe(
      'PROTOCOL_WRONG_PRECURSOR',
    );
    expect(code(() => admitManifest(good, { ...facts, fleet: 'rovers' }))).toBe('PROTOCOL_WRONG_FLEET');
    expect(code(() => admitManifest(good.subarray(0, 50), facts))).toBe('PROTOCOL_MALFORMED');
    expect(code(() => admitManifest(new Uint8Array(LIMITS.manifest + 1), facts))).toBe('PROTOCOL_OVERSIZED');
    expect(code(() => admitManifest(encodeCbor([1, 2, 3, 4]), facts))).toBe('PROTOCOL_MALFORMED');
  });

  it('a full image needs no precursor', () => {
    const m = manifest({ patch: { ...manifest().patch, kind: 'full' } });
    expect(code(() => admitManifest(signManifest(m, secret), { ...facts, currentImage: undefined }))).toBe(
      'accepted',
    );
  });

  it('refuses a validly signed payload that breaks the schema', () => {
    const env = signSign1(encodeCbor({ v: 1, fleet: 'drones', seq: 'five' }), secret);
    expect(code(() => admitManifest(env, facts))).toBe('PROTOCOL_MALFORMED');
    const wrongHashes = { ...manifest(), patch: { ...manifest().patch, blockHashes: new Uint8Array(8) } };
    expect(code(() => admitManifest(signManifest(wrongHashes, secret), facts))).toBe('PROTOCOL_MALFORMED');
  });

  it('keeps the payload byte-exact through COSE_Sign1 and rejects an untagged envelope', () => {
    const payload = encodeCbor({ hello: 'drone' });
    const env = signSign1(payload, secret);
    expect(env[0]).toBe(0xd2); // tag 18
    expect([...verifySign1(env, [key], 1000)]).toEqual([...payload]);
    expect(code(() => verifySign1(env.subarray(1), [key], 1000))).toBe('PROTOCOL_MALFORMED');
  });

  it('survives every truncation and single-bit flip of an envelope without throwing anything but ProtocolError', () => {
    const env = signManifest(manifest(), secret);
    for (let i = 0; i < env.length; i += 7) {
      for (const f of [() => admitManifest(env.subarray(0, i), facts), () => flip(env, i)]) {
        try {
          f();
          throw new Error(`accepted a damaged envelope at byte ${i}`);
        } catch (e) {
          expect(e).toBeInstanceOf(ProtocolError);
        }
      }
    }
  });
});

function flip(env: Uint8Array, i: number) {
  const c = env.slice();
  c[i] ^= 0x10;
  return admitManifest(c, facts);
}

describe('blocks', () => {
  const m = manifest();
  const block = (i: number) => ({
    digest: m.patch.digest,
    index: i,
    data: patch.subarray(i * 16384, (i + 1) * 16384),
  });

  it('round-trips a block and accepts it against the manifest', () => {
    const b = decodeBlock(encodeBlock(block(2)));
    expect(checkBlock(m, b).length).toBe(40_000 - 2 * 16384);
  });

  it('refuses a tampered, misplaced, foreign or oversized block', () => {
    const t = block(1);
    const tampered = { ...t, data: t.data.slice() };
    tampered.data[5] ^= 1;
    expect(code(() => checkBlock(m, tampered))).toBe('PROTOCOL_BLOCK_MISMATCH');
    expect(code(() => checkBlock(m, { ...block(1), index: 0 }))).toBe('PROTOCOL_BLOCK_MISMATCH');
    expect(code(() => checkBlock(m, { ...block(0), index: 3 }))).toBe('PROTOCOL_BLOCK_MISMATCH');
    expect(code(() => checkBlock(m, { ...block(0), digest: new Uint8Array(32) }))).toBe(
      'PROTOCOL_BLOCK_MISMATCH',
    );
    expect(code(() => decodeBlock(new Uint8Array(LIMITS.block + 1)))).toBe('PROTOCOL_OVERSIZED');
    expect(code(() => decodeBlock(encodeCbor({ d: new Uint8Array(31), i: 0, b: new Uint8Array(1) })))).toBe(
      'PROTOCOL_MALFORMED',
    );
  });
});

describe('bitmaps and small messages', () => {
  it('inverts a have-map into a repair request of exactly the missing blocks', () => {
    const have = emptyBitmap(11);
    for (const i of [0, 3, 10]) setBit(have, i);
    expect(countBits(have, 11)).toBe(3);
    const miss = invertBitmap(have, 11);
    expect([...setIndices(miss, 11)]).toEqual([1, 2, 4, 5, 6, 7, 8, 9]);
    const r = decodeRepair(encodeRepair({ digest: new Uint8Array(32), device: 'd-1', missing: miss }));
    expect([...setIndices(r.missing, 11)]).toEqual([1, 2, 4, 5, 6, 7, 8, 9]);
    expect(
      code(() => decodeRepair(encodeRepair({ digest: new Uint8Array(32), device: 'a/b', missing: miss }))),
    ).toBe('PROTOCOL_MALFORMED');
  });

  it('round-trips state and rejects nonsense progress', () => {
    const s = {
      device: 'd-1',
      phase: 'downloading' as const,
      targetSeq: 5,
      have: 2,
      total: 3,
      rejection: { code: 'PROTOCOL_REPLAYED', detail: 'old', at: 4 },
      at: 9,
    };
    expect(decodeState(encodeState(s))).toMatchObject(s);
    expect(code(() => decodeState(encodeState({ ...s, have: 4 })))).toBe('PROTOCOL_MALFORMED');
    expect(code(() => decodeState(encodeState({ ...s, phase: 'flying' as never })))).toBe(
      'PROTOCOL_MALFORMED',
    );
  });

  it('decodes CBOR one item only', () => {
    expect(code(() => decodeCbor(new Uint8Array([0x01, 0x02]), 10, 'x'))).toBe('PROTOCOL_MALFORMED');
  });
});
