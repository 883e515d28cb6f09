import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyPatchFile } from './apply.js';
import { createPatchFile } from './create.js';
import { gnuTar, noise, sha256Hex, tempDir, writeTree } from './testing/fixtures.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
let n = 0;
const fresh = () => join(tmp.dir, `case-${n++}`);

const long = `${'deep/'.repeat(30)}name-longer-than-one-hundred-bytes.txt`;
const oldTree = {
  'usr/bin/tool': { copy: '/usr/bin/bsdiff' },
  'usr/bin/same': { copy: '/usr/bin/xz' },
  'etc/conf': 'a=1\nb=2\n',
  'etc/link': { symlink: '../usr/bin/tool' },
  'usr/lib/libz.so.1.2.13': noise(20000, 7),
  [long]: 'long name v1',
  'gone.txt': 'removed in new',
  'etc/.wh.removed': '',
};
const newTree = {
  'usr/bin/tool': { copy: '/usr/bin/bspatch' },
  'usr/bin/moved-xz': { copy: '/usr/bin/xz' },
  'etc/conf': 'a=1\nb=3\nc=4\n',
  'etc/link': { symlink: '../usr/bin/tool' },
  'etc/hard': { hardlink: 'etc/conf' },
  'usr/lib/libz.so.1.3.1': Uint8Array.from(noise(20000, 7).map((b, i) => (i % 1000 === 0 ? b ^ 1 : b))),
  [long]: 'long name v2, longer',
  'new.bin': noise(5000, 3),
  'etc/.wh.removed': '',
  empty: '',
};

function roundTrip(oldFile: string, newFile: string) {
  const dir = fresh();
  const patch = `${dir}.aloft`;
  const out = `${dir}.out`;
  const created = createPatchFile(oldFile, newFile, patch);
  return { created, patch, out };
}

describe('delta create/apply on GNU tar layers', () => {
  for (const [fo, fn] of [
    ['gnu', 'gnu'],
    ['posix', 'posix'],
    ['ustar', 'gnu'],
    ['gnu', 'posix'],
  ] as const) {
    it(`rebuilds a ${fn} tar from a ${fo} tar byte for byte`, async () => {
      const a = fresh();
      const b = fresh();
      // ustar cannot hold the long name: the old side goes without it.
      writeTree(
        a,
        fo === 'ustar' ? Object.fromEntries(Object.entries(oldTree).filter(([k]) => k !== long)) : oldTree,
      );
      writeTree(b, newTree);
      const oldTar = `${a}.tar`;
      const newTar = `${b}.tar`;
      gnuTar(a, oldTar, fo);
      gnuTar(b, newTar, fn, fn === 'posix' ? ['--pax-option=globexthdr.name=g,mtime:=0'] : []);
      const { created, patch, out } = roundTrip(oldTar, newTar);
      expect(created.kind).toBe('tar');
      expect(created.stats.referenced).toBeGreaterThanOrEqual(1);
      expect(created.stats.diffed).toBeGreaterThanOrEqual(2);
      const applied = await applyPatchFile(oldTar, patch, out);
      expect(sha256Hex(out)).toBe(sha256Hex(newTar));
      expect(applied.sha256).toBe(sha256Hex(newTar));
      expect(created.patchSize).toBeLessThan(readFileSync(newTar).length / 4);
    });
  }

  it('diffs plain files as one bsdiff', async () => {
    const { created, patch, out } = roundTrip('/usr/bin/bsdiff', '/usr/bin/bspatch');
    expect(created.kind).toBe('file');
    await applyPatchFile('/usr/bin/bsdiff', patch, out);
    expect(sha256Hex(out)).toBe(sha256Hex('/usr/bin/bspatch'));
  });

  it('takes gzip inputs and rebuilds the uncompressed NEW', async () => {
    const a = fresh();
    const b = fresh();
    writeTree(a, { 'x/y': noise(3000, 1), z: 'one' });
    writeTree(b, { 'x/y': noise(3000, 2), z: 'two' });
    gnuTar(a, `${a}.tar`, 'gnu', ['-z']);
    gnuTar(b, `${b}.tar`, 'gnu');
    const { execFileSync } = await import('node:child_process');
    writeFileSync(`${b}.tgz`, execFileSync('gzip', ['-9n', '-c', `${b}.tar`]));
    const { created, patch, out } = roundTrip(`${a}.tar`, `${b}.tgz`);
    expect(created.newGzip).toBe(true);
    expect(created.kind).toBe('tar');
    await applyPatchFile(`${a}.tar`, patch, out);
    expect(sha256Hex(out)).toBe(sha256Hex(`${b}.tar`));
  });

  it('refuses a wrong OLD naming both digests and leaves no OUT', async () => {
    const { patch, out } = roundTrip('/usr/bin/bsdiff', '/usr/bin/bspatch');
    const err = await applyPatchFile('/usr/bin/xz', patch, out).catch((e) => e);
    expect(err.code).toBe('DELTA_SOURCE_MISMATCH');
    expect(err.message).toContain(sha256Hex('/usr/bin/xz'));
    expect(err.message).toContain(sha256Hex('/usr/bin/bsdiff'));
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(tmp.dir).filter((f) => f.includes('aloft-tmp'))).toEqual([]);
  });
});

/** Renames members in a tar's raw headers (and fixes the checksums): hostile names by hand. */
function renameMembers(tar: Uint8Array, names: Record<string, string>): Uint8Array {
  const out = tar.slice();
  for (let off = 0; off + 512 <= out.length; off += 512) {
    const block = out.subarray(off, off + 512);
    let end = 0;
    while (end < 100 && block[end] !== 0) end++;
    const name = new TextDecoder().decode(block.subarray(0, end));
    const to = names[name];
    if (to === undefined) continue;
    block.fill(0, 0, 100);
    block.set(new TextEncoder().encode(to), 0);
    block.fill(0x20, 148, 156);
    const sum = block.reduce((s, b) => s + b, 0);
    block.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  }
  return out;
}

describe('hostile tar names', () => {
  it('path traversal names are only keys: the patch rebuilds OUT and writes nothing else', async () => {
    const a = fresh();
    const b = fresh();
    writeTree(a, { 'x1/evil': 'old evil', 'x2/abs': noise(2000, 4) });
    writeTree(b, { 'x1/evil': 'new evil!', 'x2/abs': noise(2000, 6) });
    gnuTar(a, `${a}.tar`, 'ustar');
    gnuTar(b, `${b}.tar`, 'ustar');
    const hostile = { './x1/evil': '../../../../tmp/aloft-evil', './x2/abs': '/etc/aloft-abs' };
    writeFileSync(`${a}.tar`, renameMembers(new Uint8Array(readFileSync(`${a}.tar`)), hostile));
    writeFileSync(`${b}.tar`, renameMembers(new Uint8Array(readFileSync(`${b}.tar`)), hostile));
    const before = readdirSync(tmp.dir).length;
    const { created, patch, out } = roundTrip(`${a}.tar`, `${b}.tar`);
    expect(created.kind).toBe('tar');
    expect(created.stats.diffed + created.stats.literal).toBe(2);
    await applyPatchFile(`${a}.tar`, patch, out);
    expect(sha256Hex(out)).toBe(sha256Hex(`${b}.tar`));
    expect(existsSync('/tmp/aloft-evil')).toBe(false);
    expect(existsSync('/etc/aloft-abs')).toBe(false);
    // Only the patch and OUT appeared beside the inputs.
    expect(readdirSync(tmp.dir).length).toBe(before + 2);
  });
});
