import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../cli/command.js';
import { openManifest, toHex } from '../protocol/index.js';
import { readPublicKey, readSecretKey } from './key-files.js';
import { keygenCommand } from './keygen-command.js';
import { publishCommand } from './publish-command.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aloft-cmd-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const quiet = async (f: () => Promise<number>) => {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return await f();
  } finally {
    process.stdout.write = write;
  }
};

describe('aloft keygen and aloft publish --out', () => {
  it('writes a PEM pair whose halves match, refuses to overwrite without --force', async () => {
    expect(await quiet(() => keygenCommand.run(['--out', join(dir, 'keys')]))).toBe(0);
    const secret = await readSecretKey(join(dir, 'keys/aloft.key'));
    const pub = await readPublicKey(join(dir, 'keys/aloft.pub'));
    const fromPrivate = await readPublicKey(join(dir, 'keys/aloft.key'));
    expect(secret.length).toBe(32);
    expect(toHex(pub.publicKey)).toBe(toHex(fromPrivate.publicKey));
    expect((await stat(join(dir, 'keys/aloft.key'))).mode & 0o777).toBe(0o600);
    await expect(keygenCommand.run(['--out', join(dir, 'keys')])).rejects.toThrow(/already exists/);
    expect(await quiet(() => keygenCommand.run(['--out', join(dir, 'keys'), '--force']))).toBe(0);
  });

  it('signs a manifest for a ready-made patch and writes manifest.cbor + patch', async () => {
    await quiet(() => keygenCommand.run(['--out', join(dir, 'k2')]));
    const patch = new URL('../../package.json', import.meta.url).pathname;
    const out = join(dir, 'out');
    const code = await quiet(() =>
      publishCommand.run([
        '--fleet',
        'drones',
        '--key',
        join(dir, 'k2/aloft.key'),
        '--patch',
        patch,
        '--from',
        patch,
        '--to',
        patch,
        '--sequence',
        '42',
        '--strategy',
        'hand-over',
        '--out',
        out,
        '--block-size',
        '4096',
      ]),
    );
    expect(code).toBe(0);
    const m = openManifest(new Uint8Array(await readFile(join(out, 'manifest.cbor'))), [
      await readPublicKey(join(dir, 'k2/aloft.pub')),
    ]);
    expect(m.sequence).toBe(42);
    expect(m.strategy.name).toBe('hand-over');
    expect(m.patch.blockSize).toBe(4096);
    expect(m.patch.size).toBe((await readFile(patch)).length);
    expect(Buffer.compare(await readFile(join(out, 'patch')), await readFile(patch))).toBe(0);
  });

  it('publish --from --to makes the patch with the delta engine; delta apply rebuilds NEW from it', async () => {
    await quiet(() => keygenCommand.run(['--out', join(dir, 'k3')]));
    const real = new Uint8Array(
      await readFile(new URL('../../node_modules/typescript/lib/lib.dom.d.ts', import.meta.url)),
    );
    const oldBytes = real.subarray(0, 300_000);
    const newBytes = Uint8Array.from(oldBytes);
    newBytes.set(new TextEncoder().encode('drone firmware v2'), 123_456);
    await writeFile(join(dir, 'old.bin'), oldBytes);
    await writeFile(join(dir, 'new.bin'), newBytes);
    const out = join(dir, 'delta-out');
    const code = await quiet(() =>
      publishCommand.run([
        '--fleet',
        'drones',
        '--key',
        join(dir, 'k3/aloft.key'),
        '--from',
        join(dir, 'old.bin'),
        '--to',
        join(dir, 'new.bin'),
        '--out',
        out,
      ]),
    );
    expect(code).toBe(0);
    const m = openManifest(new Uint8Array(await readFile(join(out, 'manifest.cbor'))), [
      await readPublicKey(join(dir, 'k3/aloft.pub')),
    ]);
    const digest = (b: Uint8Array) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
    expect(m.precursor).toBe(digest(oldBytes));
    expect(m.target.imageId).toBe(digest(newBytes));
    expect(m.patch.size).toBeLessThan(newBytes.length / 10); // a delta, not a copy
    const { applyPatchFile } = await import('../../delta/index.js');
    await applyPatchFile(join(dir, 'old.bin'), join(out, 'patch'), join(dir, 'rebuilt.bin'));
    expect(Buffer.compare(await readFile(join(dir, 'rebuilt.bin')), Buffer.from(newBytes))).toBe(0);
  });

  it('turns bad input into usage errors naming the flag', async () => {
    const k = join(dir, 'k2/aloft.key');
    await expect(
      publishCommand.run(['--fleet', 'a/b', '--key', k, '--patch', k, '--out', dir]),
    ).rejects.toThrow(UsageError);
    await expect(
      publishCommand.run(['--fleet', 'f', '--key', k, '--patch', k, '--out', dir, '--strategy', 'yolo']),
    ).rejects.toThrow(/--strategy/);
    await expect(
      publishCommand.run(['--fleet', 'f', '--key', k, '--patch', k, '--out', dir, '--expires', 'soon']),
    ).rejects.toThrow(/--expires/);
    await expect(
      publishCommand.run(['--fleet', 'f', '--key', k, '--patch', k, '--out', dir]),
    ).rejects.toThrow(/--target/);
    await expect(
      publishCommand.run(['--fleet', 'f', '--key', k, '--patch', k, '--to', k, '--out', dir]),
    ).rejects.toThrow(/precursor/);
    await expect(
      publishCommand.run([
        '--fleet',
        'f',
        '--key',
        join(dir, 'nope'),
        '--patch',
        k,
        '--to',
        k,
        '--full',
        '--out',
        dir,
      ]),
    ).rejects.toThrow(/cannot read/);
  });
});
