import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureBaseImages } from '../../sdk/docker/index.js';
import { buildLocalImage, sharedLibraries } from '../../sdk/functions/index.js';
import { projectRoot } from '../../sdk/project-root.js';

export const VOTING_IMAGE = 'aloft/voting:1';

/** The npm packages dockerode loads at run time, found by walking package.json dependencies. */
async function dependencyClosure(root: string, start: string): Promise<string[]> {
  const seen = new Set<string>();
  const walk = async (name: string): Promise<void> => {
    if (seen.has(name) || name.startsWith('@types/')) return;
    const file = join(root, 'node_modules', name, 'package.json');
    if (!existsSync(file)) return; // an optional dependency that is not installed
    seen.add(name);
    const pkg = JSON.parse(await readFile(file, 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) await walk(dep);
  };
  await walk(start);
  return [...seen];
}

/**
 * Builds aloft/voting:1: node (from aloft/node:20), Debian's sqlite3 with its libraries, the
 * CGI program and the record-vote task, and Aloft's compiled functions SDK with dockerode, so
 * that the vote page can start a task per vote with run(). Needs `npm run build` first (dist/).
 */
export async function ensureVotingImage(): Promise<void> {
  const root = projectRoot();
  const dist = join(root, 'dist', 'sdk');
  if (!existsSync(join(dist, 'functions', 'index.js')))
    throw new Error('dist/sdk/functions is missing: run `npm run build` before building the voting image');
  await ensureBaseImages();
  const dir = await mkdtemp(join(tmpdir(), 'aloft-voting-'));
  try {
    const fs = join(dir, 'rootfs');
    const here = join(root, 'examples', 'voting', 'app');
    await mkdir(join(fs, 'app', 'aloft', 'sdk'), { recursive: true });
    await cp(join(here, 'voting.mjs'), join(fs, 'app', 'voting.mjs'));
    await cp(join(here, 'record-vote.sh'), join(fs, 'app', 'record-vote.sh'));
    for (const part of ['functions', 'docker'])
      await cp(join(dist, part), join(fs, 'app', 'aloft', 'sdk', part), {
        recursive: true,
        filter: (src) => !/\.(map|d\.ts)$/.test(src) && !/\.test\.js$/.test(src) && !src.includes('/testing'),
      });
    await cp(join(dist, 'project-root.js'), join(fs, 'app', 'aloft', 'sdk', 'project-root.js'));
    // project-root.js looks for a package.json above it.
    await writeFile(join(fs, 'app', 'aloft', 'package.json'), '{"type":"module"}\n');
    for (const name of await dependencyClosure(root, 'dockerode'))
      await cp(join(root, 'node_modules', name), join(fs, 'app', 'node_modules', name), { recursive: true });
    const sqlite = '/usr/bin/sqlite3';
    await mkdir(join(fs, 'usr', 'bin'), { recursive: true });
    await cp(sqlite, join(fs, sqlite));
    for (const lib of await sharedLibraries(sqlite)) {
      await mkdir(join(fs, dirname(lib)), { recursive: true });
      await cp(lib, join(fs, lib), { dereference: true });
    }
    await writeFile(
      join(dir, 'Dockerfile'),
      'FROM aloft/node:20\nCOPY rootfs/ /\nENV NODE_PATH=/app/node_modules\nCMD ["node", "/app/voting.mjs"]\n',
    );
    await buildLocalImage(VOTING_IMAGE, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
