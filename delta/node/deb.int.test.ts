// Real layers nobody here wrote: the data tarballs of a Debian package at two versions
// (apt-get download + dpkg-deb --fsys-tarfile), and BSDIFF40 interop through the CLI.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../sdk/project-root.js';
import { applyPatchFile } from './apply.js';
import { createPatchFile } from './create.js';
import { sha256Hex, tempDir } from './testing/fixtures.js';

const tmp = tempDir();
afterAll(() => tmp.remove());
const cli = join(projectRoot(), 'dist', 'delta', 'main.js');

/** Two versions of a small package that apt can fetch (bookworm and -security/-updates). */
function debPair(): { pkg: string; versions: [string, string] } {
  for (const pkg of ['libcurl4', 'libssl3', 'tzdata']) {
    const lines = execFileSync('apt-cache', ['madison', pkg], { encoding: 'utf8' }).trim().split('\n');
    const versions = [...new Set(lines.map((l) => l.split('|')[1]?.trim()).filter(Boolean))];
    if (versions.length >= 2) return { pkg, versions: [versions[1], versions[0]] };
  }
  throw new Error('apt-cache madison lists no package with two versions: run apt-get update');
}

function fetchLayer(pkg: string, version: string, name: string): string {
  const dir = join(tmp.dir, name);
  execFileSync('mkdir', ['-p', dir]);
  execFileSync('apt-get', ['download', '-q', `${pkg}=${version}`], { cwd: dir, stdio: 'ignore' });
  const deb = readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg}=${version} gave no .deb`);
  const tar = join(tmp.dir, `${name}.tar`);
  writeFileSync(tar, execFileSync('dpkg-deb', ['--fsys-tarfile', join(dir, deb)], { maxBuffer: 1 << 28 }));
  return tar;
}

describe('dpkg-deb layers at two versions', () => {
  const { pkg, versions } = debPair();
  const oldTar = fetchLayer(pkg, versions[0], 'old');
  const newTar = fetchLayer(pkg, versions[1], 'new');

  it(`${pkg} ${versions[0]} -> ${versions[1]}: sha256(OUT) == sha256(NEW)`, async () => {
    const patch = join(tmp.dir, 'p.aloft');
    const created = createPatchFile(oldTar, newTar, patch);
    expect(created.kind).toBe('tar');
    expect(created.patchSize).toBeLessThan(created.newSize / 3);
    const out = join(tmp.dir, 'out.tar');
    await applyPatchFile(oldTar, patch, out);
    expect(sha256Hex(out)).toBe(sha256Hex(newTar));
  });

  it('the CLI creates, inspects and applies with --json, exit 0; bad input exits 1 with one line', () => {
    if (!existsSync(cli)) throw new Error(`build first: ${cli} is missing`);
    const patch = join(tmp.dir, 'cli.aloft');
    const created = JSON.parse(
      execFileSync('node', [cli, 'create', oldTar, newTar, '-o', patch, '--json'], { encoding: 'utf8' }),
    );
    expect(created.patchSize).toBeGreaterThan(0);
    expect(created.ratio).toBeLessThan(0.5);
    const info = JSON.parse(execFileSync('node', [cli, 'info', patch, '--json'], { encoding: 'utf8' }));
    expect(info.source.sha256).toBe(sha256Hex(oldTar));
    expect(info.target.sha256).toBe(sha256Hex(newTar));
    const out = join(tmp.dir, 'cli.out');
    const applied = JSON.parse(
      execFileSync('node', [cli, 'apply', oldTar, patch, '-o', out, '--json'], { encoding: 'utf8' }),
    );
    expect(applied.sha256).toBe(sha256Hex(newTar));
    expect(sha256Hex(out)).toBe(sha256Hex(newTar));
    let failed: { status: number; stderr: string } | undefined;
    try {
      execFileSync('node', [cli, 'apply', newTar, patch, '-o', join(tmp.dir, 'never')], {
        encoding: 'utf8',
        stdio: 'pipe',
      });
    } catch (e) {
      failed = e as { status: number; stderr: string };
    }
    expect(failed?.status).toBe(1);
    expect(failed?.stderr.trim().split('\n')).toHaveLength(1);
    expect(failed?.stderr).toContain(sha256Hex(newTar));
    expect(existsSync(join(tmp.dir, 'never'))).toBe(false);
    let usage: { status: number } | undefined;
    try {
      execFileSync('node', [cli, 'apply', oldTar], { stdio: 'pipe' });
    } catch (e) {
      usage = e as { status: number };
    }
    expect(usage?.status).toBe(2);
  });

  it('applies a BSDIFF40 patch made by Debian bsdiff, and writes one Debian bspatch applies', () => {
    const fromDebian = join(tmp.dir, 'deb.bsdiff');
    execFileSync('bsdiff', [oldTar, newTar, fromDebian]);
    const out = join(tmp.dir, 'bs.out');
    execFileSync('node', [cli, 'apply', oldTar, fromDebian, '-o', out]);
    expect(sha256Hex(out)).toBe(sha256Hex(newTar));
    const ours = join(tmp.dir, 'ours.bsdiff');
    execFileSync('node', [cli, 'create', '--format', 'bsdiff40', oldTar, newTar, '-o', ours]);
    const out2 = join(tmp.dir, 'bs2.out');
    execFileSync('bspatch', [oldTar, out2, ours]);
    expect(sha256Hex(out2)).toBe(sha256Hex(newTar));
  });
});
