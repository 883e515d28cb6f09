// The delta benchmark's corpus: real layer pairs nobody here wrote. Debian package data tarballs
// (`dpkg-deb --fsys-tarfile`) at two versions from Debian's archive (bookworm vs
// bookworm-security/updates, fetched with `apt-get download`), and npm package pairs (`npm pack`,
// gunzipped). Cached in bench/.cache/delta (gitignored); nothing large is committed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface CorpusPair {
  readonly name: string;
  readonly source: 'debian' | 'npm';
  readonly oldVersion: string;
  readonly newVersion: string;
  readonly oldPath: string;
  readonly newPath: string;
}

interface PairSpec {
  readonly name: string;
  readonly source: 'debian' | 'npm';
  readonly pkg: string;
  readonly oldVersion: string;
  readonly newVersion: string;
}

// Versions as `apt-cache madison` lists them on bookworm (Nov 2026) and as npm publishes them.
// mariadb-server-core is the "45 MB layer" of the memory target.
export const PAIRS: readonly PairSpec[] = [
  {
    name: 'libssl3',
    source: 'debian',
    pkg: 'libssl3',
    oldVersion: '3.0.20-1~deb12u2',
    newVersion: '3.0.22-1~deb12u2',
  },
  {
    name: 'libcurl4',
    source: 'debian',
    pkg: 'libcurl4',
    oldVersion: '7.88.1-10+deb12u5',
    newVersion: '7.88.1-10+deb12u15',
  },
  {
    name: 'systemd',
    source: 'debian',
    pkg: 'systemd',
    oldVersion: '252.38-1~deb12u1',
    newVersion: '252.39-1~deb12u2',
  },
  {
    name: 'tzdata',
    source: 'debian',
    pkg: 'tzdata',
    oldVersion: '2026b-0+deb12u1',
    newVersion: '2026f-0+deb12u1',
  },
  {
    name: 'python3.11-minimal',
    source: 'debian',
    pkg: 'python3.11-minimal',
    oldVersion: '3.11.2-6+deb12u8',
    newVersion: '3.11.2-6+deb12u9',
  },
  {
    name: 'libc6',
    source: 'debian',
    pkg: 'libc6',
    oldVersion: '2.36-9+deb12u7',
    newVersion: '2.36-9+deb12u14',
  },
  {
    name: 'mariadb-server-core',
    source: 'debian',
    pkg: 'mariadb-server-core',
    oldVersion: '1:10.11.18-0+deb12u1',
    newVersion: '1:10.11.19-0+deb12u1',
  },
  { name: 'typescript', source: 'npm', pkg: 'typescript', oldVersion: '5.8.3', newVersion: '5.9.2' },
  { name: 'lodash', source: 'npm', pkg: 'lodash', oldVersion: '4.17.20', newVersion: '4.17.21' },
  { name: 'react-dom', source: 'npm', pkg: 'react-dom', oldVersion: '18.2.0', newVersion: '18.3.1' },
  {
    name: '@esbuild/linux-x64',
    source: 'npm',
    pkg: '@esbuild/linux-x64',
    oldVersion: '0.25.0',
    newVersion: '0.25.1',
  },
];

export const CACHE = join(process.cwd(), 'bench', '.cache', 'delta');

function fetchDebian(pkg: string, version: string, to: string): void {
  const tmp = `${to}.dl`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('apt-get', ['download', '-q', `${pkg}=${version}`], {
    cwd: tmp,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg}=${version} produced no .deb`);
  writeFileSync(
    `${to}.part`,
    execFileSync('dpkg-deb', ['--fsys-tarfile', join(tmp, deb)], { maxBuffer: 1 << 30 }),
  );
  renameSync(`${to}.part`, to);
  rmSync(tmp, { recursive: true, force: true });
}

function fetchNpm(pkg: string, version: string, to: string): void {
  const tmp = `${to}.dl`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('npm', ['pack', '--silent', `${pkg}@${version}`, '--pack-destination', tmp], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack ${pkg}@${version} produced no .tgz`);
  writeFileSync(`${to}.part`, gunzipSync(readFileSync(join(tmp, tgz))));
  renameSync(`${to}.part`, to);
  rmSync(tmp, { recursive: true, force: true });
}

/** Downloads what is missing; returns every pair that is available. */
export function loadCorpus(only?: readonly string[]): CorpusPair[] {
  const out: CorpusPair[] = [];
  for (const spec of PAIRS) {
    if (only?.length && !only.includes(spec.name)) continue;
    const dir = join(CACHE, spec.name.replace(/[^a-zA-Z0-9.-]/g, '_'));
    mkdirSync(dir, { recursive: true });
    const oldPath = join(dir, 'old.tar');
    const newPath = join(dir, 'new.tar');
    for (const [version, path] of [
      [spec.oldVersion, oldPath],
      [spec.newVersion, newPath],
    ] as const) {
      if (existsSync(path)) continue;
      process.stderr.write(`corpus: fetching ${spec.pkg} ${version}\n`);
      if (spec.source === 'debian') fetchDebian(spec.pkg, version, path);
      else fetchNpm(spec.pkg, version, path);
    }
    out.push({
      name: spec.name,
      source: spec.source,
      oldVersion: spec.oldVersion,
      newVersion: spec.newVersion,
      oldPath,
      newPath,
    });
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const p of loadCorpus(process.argv.slice(2)))
    process.stdout.write(`${p.name}: ${p.oldPath} ${p.newPath}\n`);
}
