import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFile, readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { FunctionError } from './errors.js';

const INPUTS_LABEL = 'io.aloft.inputs';

function sh(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { env: { ...process.env, DOCKER_BUILDKIT: '0' }, maxBuffer: 16 << 20 },
      (err, stdout, stderr) =>
        err ? reject(new Error(stderr.trim() || err.message)) : resolve(stdout.trim()),
    );
  });
}

async function hashTree(dir: string): Promise<string> {
  const h = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await stat(p);
        h.update(`${relative(dir, p)}\0${s.mode}\0`);
        h.update(await readFile(p));
      } else h.update(`${relative(dir, p)}\0link\0`);
    }
  };
  await walk(dir);
  return h.digest('hex').slice(0, 16);
}

/**
 * Builds `tag` from a context folder holding a Dockerfile (classic builder: no registry is
 * reachable, so FROM names a local image or scratch). Skips the build when an image of that
 * tag was built from the same inputs. The Dockerfile gets a LABEL line appended.
 */
export async function buildLocalImage(tag: string, contextDir: string): Promise<void> {
  const hash = await hashTree(contextDir);
  const have = await sh('docker', [
    'image',
    'inspect',
    tag,
    '--format',
    `{{index .Config.Labels "${INPUTS_LABEL}"}}`,
  ]).catch(() => '');
  if (have === hash) return;
  await appendFile(join(contextDir, 'Dockerfile'), `\nLABEL ${INPUTS_LABEL}=${hash}\n`);
  try {
    await sh('docker', ['build', '-q', '-t', tag, contextDir]);
  } catch (e) {
    throw new FunctionError('FN_START_FAILED', `docker build of ${tag} failed: ${(e as Error).message}`);
  }
}

/** The shared libraries a host binary loads (from ldd), to copy into a FROM-scratch image. */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const out = await sh('ldd', [binary]);
  return [...out.matchAll(/(\/[^\s]+\.so[^\s]*)/g)].map((m) => m[1]);
}
