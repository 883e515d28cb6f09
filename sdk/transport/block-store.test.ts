import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { countBits } from '../protocol/index.js';
import { BlockStore } from './block-store.js';
import { makeManifest, sign, testKeys } from './testing/fixtures.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const key = testKeys(3);
const patch = Uint8Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24);
const digest = 'sha256:'.padEnd(71, 'a');
const manifest = makeManifest(patch, {
  fleet: 'f',
  sequence: 1,
  precursor: digest,
  target: digest,
  now: 0,
  blockSize: 1024,
});
const envelope = sign(manifest, key.secretKey);
const block = (i: number) => patch.subarray(i * 1024, (i + 1) * 1024);

describe('BlockStore', () => {
  it('keeps its blocks across a reopen, ignores duplicates and verifies the whole patch', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aloft-store-'));
    dirs.push(dir);
    const a = await BlockStore.open(dir, manifest, envelope);
    expect(a.total).toBe(5);
    expect(await a.write(4, block(4))).toBe(true);
    expect(await a.write(1, block(1))).toBe(true);
    expect(await a.write(1, block(1))).toBe(false);
    await a.close();
    expect(countBits(new Uint8Array(await readFile(join(dir, 'have.bitmap'))), 5)).toBe(2);

    const b = await BlockStore.open(dir, manifest, envelope);
    expect(b.have).toBe(2);
    expect(b.has(4) && b.has(1) && !b.has(0)).toBe(true);
    for (const i of [0, 2, 3]) await b.write(i, block(i));
    expect(b.complete).toBe(true);
    const path = await b.finish();
    expect(path).toBe(join(dir, 'patch'));
    expect(Buffer.compare(await readFile(join(dir, 'patch')), Buffer.from(patch))).toBe(0);

    // After the rename (the agent had not taken it yet): reopening finds the finished patch.
    const c = await BlockStore.open(dir, manifest, envelope);
    expect(c.complete).toBe(true);
    expect(await c.finish()).toBe(join(dir, 'patch'));
  });

  it('starts over for another manifest and refuses a patch whose digest does not match', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aloft-store-'));
    dirs.push(dir);
    const a = await BlockStore.open(dir, manifest, envelope);
    await a.write(0, block(0));
    await a.close();
    const other = makeManifest(patch, {
      fleet: 'f',
      sequence: 2,
      precursor: digest,
      target: digest,
      now: 0,
      blockSize: 1024,
    });
    const b = await BlockStore.open(dir, other, sign(other, key.secretKey));
    expect(b.have).toBe(0);
    // Bytes that pass no hash check (the store trusts its caller): the digest catches them.
    for (let i = 0; i < 5; i++) await b.write(i, new Uint8Array(block(i).length));
    expect(await b.finish()).toBeUndefined();
    await b.discard();
  });
});
