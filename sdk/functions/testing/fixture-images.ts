import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureBaseImages } from '../../docker/index.js';
import { buildLocalImage, sharedLibraries } from '../build-image.js';

export const TEST_CGI_IMAGE = 'aloft/fn-test-cgi:1';
export const LEFTPAD_IMAGE = 'aloft/fn-leftpad:1';
export const CGIT_IMAGE = 'aloft/fn-cgit:1';

// One busybox-sh CGI program whose behaviour PATH_INFO picks: every case the gateway must handle.
const TEST_CGI = `#!/bin/sh
case "$PATH_INFO" in
  /env|/env/*) printf 'Content-Type: text/plain\\n\\n'; env | sort ;;
  /echo) printf 'Content-Type: application/octet-stream\\nX-Method: %s\\nX-Length: %s\\n\\n' "$REQUEST_METHOD" "$CONTENT_LENGTH"; cat ;;
  /status) printf 'Status: 418 I am a teapot\\r\\nContent-Type: text/plain\\r\\nSet-Cookie: a=1\\r\\nSet-Cookie: b=2\\r\\n\\r\\nteapot\\n' ;;
  /local) printf 'Location: /t/env?from=local\\n\\n' ;;
  /away) printf 'Location: http://example.test/elsewhere\\n\\n' ;;
  /malformed) echo 'this is not a CGI response' ;;
  /sleep) sleep 30; printf 'Content-Type: text/plain\\n\\nlate\\n' ;;
  /big) printf 'Content-Type: text/plain\\n\\n'; head -c 300000 /dev/zero ;;
  /fail) echo boom >&2; exit 3 ;;
  /served-fail) printf 'Content-Type: text/plain\\n\\nvalid, then exit 4\\n'; exit 4 ;;
  /drip) printf 'Content-Type: text/plain\\n\\n'; head -c 100000 /dev/zero | tr '\\0' a; sleep 30; echo late ;;
  *) printf 'Content-Type: text/plain\\n\\nhello %s\\n' "$QUERY_STRING" ;;
esac
`;

const LEFTPAD = `// leftpad STRING LENGTH [CHAR], as the seed's bfirsh/leftpad image
const [str = '', len = '0', ch = ' '] = process.argv.slice(2);
process.stdout.write(str.padStart(Number(len), ch) + '\\n');
`;

async function context(files: Record<string, string>, dockerfile: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aloft-fn-img-'));
  for (const [name, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, name)), { recursive: true });
    await writeFile(join(dir, name), text);
    await chmod(join(dir, name), 0o755);
  }
  await writeFile(join(dir, 'Dockerfile'), dockerfile);
  return dir;
}

async function build(tag: string, dir: string): Promise<void> {
  try {
    await buildLocalImage(tag, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * cgit, the git web front end from Debian's cgit package: its CGI binary and libraries in a
 * busybox image, serving one small bare repository made here with git.
 */
async function buildCgit(): Promise<void> {
  const bin = '/usr/lib/cgit/cgit.cgi';
  const dir = await context(
    {
      'rootfs/etc/cgitrc':
        'cache-size=0\nvirtual-root=/git/\nroot-title=aloft test repositories\nrepo.url=aloft\nrepo.path=/srv/git/aloft.git\nrepo.desc=a repository for the gateway test\n',
    },
    'FROM aloft/busybox:1\nCOPY rootfs/ /\nCMD ["/usr/lib/cgit/cgit.cgi"]\n',
  );
  const root = join(dir, 'rootfs');
  await mkdir(join(root, 'usr/lib/cgit'), { recursive: true });
  await copyFile(bin, join(root, bin));
  for (const lib of await sharedLibraries(bin)) {
    await mkdir(join(root, dirname(lib)), { recursive: true });
    await copyFile(lib, join(root, lib));
  }
  const work = join(dir, 'work');
  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: work,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 'Aloft',
        GIT_AUTHOR_EMAIL: 'a@aloft.test',
        GIT_COMMITTER_NAME: 'Aloft',
        GIT_COMMITTER_EMAIL: 'a@aloft.test',
        GIT_AUTHOR_DATE: '2026-01-01T00:00:00Z',
        GIT_COMMITTER_DATE: '2026-01-01T00:00:00Z',
      },
      stdio: 'ignore',
    });
  await mkdir(work);
  await writeFile(join(work, 'README'), 'served by cgit through the Aloft CGI gateway\n');
  git('init', '-q', '-b', 'main');
  git('add', 'README');
  git('commit', '-q', '-m', 'first commit through a container per request');
  await mkdir(join(root, 'srv/git'), { recursive: true });
  const bare = join(root, 'srv/git/aloft.git');
  execFileSync('git', ['clone', '-q', '--bare', work, bare], { stdio: 'ignore' });
  await rm(work, { recursive: true, force: true });
  // The context's hash decides whether to rebuild, so nothing in it may differ between runs:
  // not the hook samples, not the origin URL (a fresh temp folder each time).
  execFileSync('git', ['--git-dir', bare, 'remote', 'remove', 'origin'], { stdio: 'ignore' });
  await rm(join(bare, 'hooks'), { recursive: true, force: true });
  await build(CGIT_IMAGE, dir);
}

/** Builds the images the functions tests and benchmarks use (skipped when up to date). */
export async function ensureFixtureImages(): Promise<void> {
  await ensureBaseImages();
  await build(
    TEST_CGI_IMAGE,
    await context(
      { 'cgi/test.cgi': TEST_CGI },
      'FROM aloft/busybox:1\nCOPY cgi/ /cgi/\nCMD ["/cgi/test.cgi"]\n',
    ),
  );
  await build(
    LEFTPAD_IMAGE,
    await context(
      { 'leftpad.js': LEFTPAD },
      'FROM aloft/node:20\nCOPY leftpad.js /leftpad.js\nENTRYPOINT ["node", "/leftpad.js"]\n',
    ),
  );
  await buildCgit();
}
