import { randomBytes } from 'node:crypto';
import { sh } from './sh.js';

// Two test runs may share one Docker Engine (two clones, or CI beside a developer). When every
// run built `aloft-image-test/app:2` and cleaned up "everything under aloft-image-test/", one
// run's cleanup removed the image another run was about to load ("no such image"). So each run
// names its images with its own suffix, labels them (and its build containers) with its own id,
// and removes only what carries that id: never by name pattern, never by prune.

/** Every image the image tests and the image benchmark build carries this label. */
export const TEST_LABEL = 'io.aloft.image-test';
/** Which run built it; cleanup filters on this label's value. */
export const RUN_LABEL = `${TEST_LABEL}.run`;
/** This process's run: the pid to tell runs apart in `docker images`, random bytes because pids
 * repeat (CI in another pid namespace, a later run). */
export const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;

/** `repo/name-RUN_ID:version`: a name no other run builds, loads over or removes. */
export const runTag = (repo: string, name: string, version: string | number): string =>
  `${repo}/${name}-${RUN_ID}:${version}`;

/**
 * The Dockerfile with this run's labels right after FROM, so that every intermediate container
 * and image of the build carries them too (a failed or killed build's leftovers match the same
 * filter), and no two runs share a build-cache parent chain.
 */
export function withRunLabels(dockerfile: string): string {
  const lines = dockerfile.trim().split('\n');
  const from = lines.findIndex((l) => /^\s*FROM\s/i.test(l));
  if (from < 0) throw new Error('buildImage: the Dockerfile has no FROM line; start it with FROM');
  lines.splice(from + 1, 0, `LABEL ${TEST_LABEL}=1 ${RUN_LABEL}=${RUN_ID}`);
  return `${lines.join('\n')}\n`;
}

const runFilter = () => ['--filter', `label=${RUN_LABEL}=${RUN_ID}`];
const nonEmpty = (out: string) => out.split('\n').filter(Boolean);

/**
 * Removes this run's containers, its images tagged under `repo/`, and its untagged images (a
 * load over a tag leaves one). Images of other runs carry another RUN_LABEL value and are never
 * listed. Throws when docker refuses, so a leak fails the run instead of piling up.
 */
export async function removeRunImages(repo: string): Promise<void> {
  const containers = nonEmpty(await sh('docker', ['ps', '-aq', ...runFilter()]));
  if (containers.length) await sh('docker', ['rm', '-f', ...containers]);
  const refs = new Set<string>();
  for (const line of nonEmpty(
    await sh('docker', ['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}', ...runFilter()]),
  )) {
    const [id, ref] = line.split(' ');
    if (ref.startsWith(`${repo}/`)) refs.add(ref);
    else if (ref === '<none>:<none>') refs.add(id);
  }
  if (refs.size) await sh('docker', ['rmi', '-f', ...refs]);
}

/** What of this run is still on the engine (containers, then images including intermediates). */
export async function runLeftovers(): Promise<string[]> {
  return [
    ...nonEmpty(await sh('docker', ['ps', '-a', '--format', 'container {{.ID}} {{.Names}}', ...runFilter()])),
    ...nonEmpty(
      await sh('docker', [
        'images',
        '-a',
        '--format',
        'image {{.ID}} {{.Repository}}:{{.Tag}}',
        ...runFilter(),
      ]),
    ),
  ];
}
