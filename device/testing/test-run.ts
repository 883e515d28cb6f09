import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { DRONE_RUN_LABEL, droneRunRepo } from '../../examples/drone/images.js';

// Two test runs may share one Docker Engine (two clones, or CI beside a developer). With fixed
// tags (aloft/drone-test:3, the shared aloft/drone:N) one run's cleanup untagged the image the
// other was updating to ("no such image"), and a clone with other app sources retagged
// aloft/drone:2 under a running test. So each run builds, tags and removes only its own images,
// found by the run label every one of them (and every container made from them) carries.

/** This process's run: the pid to tell runs apart in `docker images`, random bytes because pids
 * repeat (CI in another pid namespace, a later run). */
export const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;

/** `aloft/drone-RUN_ID:name`: a tag of this run, e.g. for the version an update installs. */
export const runTag = (name: string | number): string => `${droneRunRepo(RUN_ID)}:${name}`;

const sh = async (args: string[]) => (await promisify(execFile)('docker', args)).stdout;
const lines = (out: string) => out.split('\n').filter(Boolean);
const runFilter = ['--filter', `label=${DRONE_RUN_LABEL}=${RUN_ID}`];

/**
 * Removes this run's containers and every tag of its images (whatever the repository: an image a
 * device rebuilt from a delta is tagged as its manifest says), which takes the untagged parents
 * of the builds with them. Only images with this run's label are listed; throws when docker
 * refuses, so a leak fails the run.
 */
export async function removeRunImages(): Promise<void> {
  const containers = lines(await sh(['ps', '-aq', ...runFilter]));
  if (containers.length) await sh(['rm', '-f', ...containers]);
  const refs = new Set<string>();
  for (const line of lines(
    await sh(['images', '--format', '{{.ID}} {{.Repository}}:{{.Tag}}', ...runFilter]),
  )) {
    const [id, ref] = line.split(' ');
    refs.add(ref === '<none>:<none>' ? id : ref);
  }
  if (refs.size) await sh(['rmi', '-f', ...refs]);
}

/** What of this run is still on the engine: containers, then images including intermediates. */
export async function runLeftovers(): Promise<string[]> {
  return [
    ...lines(await sh(['ps', '-a', '--format', 'container {{.ID}} {{.Names}}', ...runFilter])),
    ...lines(await sh(['images', '-a', '--format', 'image {{.ID}} {{.Repository}}:{{.Tag}}', ...runFilter])),
  ];
}
