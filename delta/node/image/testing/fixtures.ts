import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rename, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { projectRoot } from '../../../../sdk/project-root.js';
import { sh } from './sh.js';
import { removeRunImages, runTag, withRunLabels } from './test-run.js';

export { sh } from './sh.js';
export { TEST_LABEL } from './test-run.js';

// Test and benchmark images, built locally (no registry here) with the classic builder so
// every layer is a plain COPY of known files. Each run names and labels its own (test-run.ts),
// so two runs on one engine neither reuse nor remove each other's images.

export const TEST_REPO = 'aloft-image-test';
const PINNED_MTIME = 1_700_000_000;

export const debCache = () => join(projectRoot(), 'bench', '.cache', 'debs');

/** A Debian package at a given version, downloaded once into bench/.cache/debs. */
export async function debFile(pkg: string, version: string): Promise<string> {
  const dir = debCache();
  await mkdir(dir, { recursive: true });
  const want = `${pkg}_${version.replace(/^\d+:/, '')}_`;
  const find = async () => (await readdir(dir)).find((f) => f.startsWith(want) && f.endsWith('.deb'));
  let name = await find();
  if (!name) {
    // Two runs may download the same package at once: each into its own folder, then a rename
    // (atomic on one file system), so that neither reads the other's half-written file.
    const part = await mkdtemp(join(dir, '.download-'));
    try {
      await sh('apt-get', ['download', '-q', `${pkg}=${version}`], { cwd: part });
      for (const f of await readdir(part)) await rename(join(part, f), join(dir, f));
    } finally {
      await rm(part, { recursive: true, force: true });
    }
    name = await find();
  }
  if (!name) throw new Error(`apt-get download ${pkg}=${version} left no .deb in ${dir}`);
  return join(dir, name);
}

/** Two versions of a package Debian ships (e.g. bookworm and bookworm-security), newest last. */
export async function twoVersions(pkg: string): Promise<[string, string]> {
  const out = await sh('apt-cache', ['madison', pkg]);
  const versions = [
    ...new Set(
      out
        .split('\n')
        .map((l) => l.split('|')[1]?.trim())
        .filter(Boolean),
    ),
  ];
  if (versions.length < 2) throw new Error(`apt-cache madison ${pkg} lists fewer than two versions`);
  const sorted = versions.slice(0, 2);
  // madison lists newest first.
  return [sorted[1], sorted[0]];
}

/** `docker build` (classic builder) of a context with a Dockerfile, labelled as this run's; returns the tag. */
export async function buildImage(
  tag: string,
  dockerfile: string,
  files: Record<string, string | { from: string }>,
): Promise<string> {
  const ctx = await mkdtemp(join(tmpdir(), 'aloft-image-ctx-'));
  try {
    await writeFile(join(ctx, 'Dockerfile'), withRunLabels(dockerfile));
    for (const [rel, content] of Object.entries(files)) {
      const p = join(ctx, rel);
      await mkdir(join(p, '..'), { recursive: true });
      if (typeof content === 'string') await writeFile(p, content);
      else await cp(content.from, p, { recursive: true, verbatimSymlinks: true });
    }
    // COPY keeps mtimes: pin those of generated files (and their folders) so that the same
    // content gives the same layer, hence the same DiffID, in every build.
    for (const rel of Object.keys(files).filter((k) => typeof files[k] === 'string')) {
      for (let p = rel; p !== '.'; p = dirname(p)) await utimes(join(ctx, p), PINNED_MTIME, PINNED_MTIME);
    }
    // --force-rm: a failed build leaves no intermediate container behind either.
    await sh('docker', ['build', '-q', '--force-rm', '-t', tag, ctx]);
    return tag;
  } finally {
    await rm(ctx, { recursive: true, force: true });
  }
}

/** Extracts a .deb's files into `dir` (dpkg-deb -x). */
export async function extractDeb(deb: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await sh('dpkg-deb', ['-x', deb, dir]);
}

function appSource(version: number): Record<string, string> {
  const lines: string[] = [];
  for (let i = 0; i < 400; i++)
    lines.push(`export const handler${i} = (x) => x * ${i} + ${i % 7 === 0 ? version : 1};`);
  // Under appfs/ and copied with `COPY appfs/ /`, so /app keeps its pinned mtime (a COPY into
  // /app/ would create the folder with the build's clock and change the layer every build).
  return {
    'appfs/app/main.js': `// drone app v${version}\n${lines.join('\n')}\n`,
    'appfs/app/config.json': JSON.stringify(
      { version, rotors: 4, telemetryHz: version === 1 ? 10 : 20 },
      null,
      2,
    ),
    'appfs/app/README': 'Aloft test application.\n'.repeat(50),
  };
}

/** Two versions of an app over the shared aloft/busybox:1 base layer. */
export async function buildAppImages(): Promise<[string, string]> {
  const v1 = await buildImage(
    runTag(TEST_REPO, 'app', 1),
    'FROM aloft/busybox:1\nCOPY appfs/ /\nCMD ["/bin/sh"]',
    appSource(1),
  );
  const v2 = await buildImage(
    runTag(TEST_REPO, 'app', 2),
    'FROM aloft/busybox:1\nCOPY appfs/ /\nCMD ["/bin/sh"]',
    appSource(2),
  );
  return [v1, v2];
}

/**
 * A base-layer security update: FROM scratch with the files of Debian package `pkg` at two
 * versions as the first layer, the same small app layer on top of both.
 */
export async function buildSecurityUpdateImages(
  pkgs: string[],
  tagPrefix: string,
  repo = TEST_REPO,
): Promise<[string, string]> {
  const work = await mkdtemp(join(tmpdir(), 'aloft-image-debs-'));
  try {
    const tags: string[] = [];
    const versions = await Promise.all(pkgs.map(twoVersions));
    for (const which of [0, 1]) {
      const rootfs = join(work, `rootfs-${which}`);
      for (let i = 0; i < pkgs.length; i++)
        await extractDeb(await debFile(pkgs[i], versions[i][which]), rootfs);
      if (!existsSync(rootfs)) throw new Error('no files extracted');
      tags.push(
        await buildImage(runTag(repo, tagPrefix, which + 1), 'FROM scratch\nCOPY rootfs/ /\nCOPY appfs/ /', {
          rootfs: { from: rootfs },
          ...appSource(1),
        }),
      );
    }
    return [tags[0], tags[1]];
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Removes this run's images tagged under `repo`/ (afterAll); benchmarks use their own repo. */
export const removeTestImages = (repo = TEST_REPO): Promise<void> => removeRunImages(repo);

export async function imageId(ref: string): Promise<string> {
  return (await sh('docker', ['image', 'inspect', '--format', '{{.Id}}', ref])).trim();
}

export async function diffIds(ref: string): Promise<string[]> {
  return JSON.parse(await sh('docker', ['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref]));
}
