import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_IMAGES, dockerClient, ensureBaseImages } from '../../docker/index.js';
import { projectRoot } from '../../project-root.js';
import { FUNCTION_LABEL, sweepFunctions } from '../labels.js';
import { http } from '../testing/http.js';

// The built command (bin/aloft.js -> dist/), as a user runs it: scripts/test.sh builds first.
const ALOFT = join(projectRoot(), 'bin', 'aloft.js');

// Another run may share the engine, and `aloft fn run` labels every container with the scope
// "cli" whoever runs it: this run's containers get an environment variable of their own (pid,
// and random bytes because pids repeat) and the checks and the cleanup look at those alone.
const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
const MARK = ['-e', `ALOFT_TEST_RUN=${RUN_ID}`];
const SERVE_NAME = `cli-test-${RUN_ID}`;

/** This run's `aloft fn run` containers (an `aloft fn run` of another run may be mid-call). */
async function runContainers(): Promise<string[]> {
  const docker = dockerClient();
  const cli = await docker.listContainers({ all: true, filters: { label: [`${FUNCTION_LABEL}=cli`] } });
  const ours = await Promise.all(
    cli.map(async (c) => {
      // Gone since the listing: removed by its own command, so not left behind.
      const env: string[] = await docker
        .getContainer(c.Id)
        .inspect()
        .then(
          (i) => i.Config.Env ?? [],
          () => [],
        );
      return env.includes(MARK[1]) ? [c.Id] : [];
    }),
  );
  return ours.flat();
}

function aloft(
  args: string[],
  stdin?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ALOFT, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c;
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

beforeAll(async () => {
  await ensureBaseImages();
});

afterAll(async () => {
  // Not sweepFunctions({ scope: 'cli' }): that kills every run's `aloft fn run` containers.
  for (const id of await runContainers()) await dockerClient().getContainer(id).remove({ force: true });
  await sweepFunctions({ scope: `gateway.${SERVE_NAME}` });
});

describe('aloft fn', () => {
  it('run: passes stdin through, streams stdout and stderr, and exits with the container code', async () => {
    const r = await aloft(
      [
        'fn',
        'run',
        ...MARK,
        '-e',
        'WHO=drone',
        BASE_IMAGES.busybox,
        'sh',
        '-c',
        'cat; echo "hi $WHO"; echo oops >&2; exit 5',
      ],
      'piped in\n',
    );
    expect(r).toEqual({ code: 5, stdout: 'piped in\nhi drone\n', stderr: 'oops\n' });
  });

  it('run: gives everything after IMAGE to the container, even --help', async () => {
    const r = await aloft(['fn', 'run', ...MARK, BASE_IMAGES.busybox, 'echo', '--help', '-e']);
    expect(r.stdout).toBe('--help -e\n');
    expect(r.code).toBe(0);
  });

  it('run: a timeout kills the container and exits 124', async () => {
    const r = await aloft(['fn', 'run', ...MARK, '--timeout', '1s', BASE_IMAGES.busybox, 'sleep', '30']);
    expect(r.code).toBe(124);
    expect(r.stderr).toMatch(/longer than 1000 ms/);
    expect(await runContainers()).toEqual([]);
  });

  it('run: bad input is one line and exit 1; a usage error exits 2', async () => {
    const r = await aloft(['fn', 'run', ...MARK, '--memory', 'lots', BASE_IMAGES.busybox, 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--memory 'lots' is not a size/);
    const none = await aloft(['fn', 'run']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no IMAGE given/);
  });

  it('serve: answers over HTTP and removes its containers on SIGINT', async () => {
    const name = SERVE_NAME;
    const child = spawn(
      process.execPath,
      [
        ALOFT,
        'fn',
        'serve',
        '--port',
        '0',
        '--name',
        name,
        '--warm',
        '1',
        '--route',
        `/hi=${BASE_IMAGES.busybox}`,
      ],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (c: Buffer) => {
        err += c;
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]);
      });
      child.once('exit', () => reject(new Error(`serve exited: ${err}`)));
    });
    // busybox's default command is sh, which prints nothing: a malformed CGI response.
    expect((await http(`${url}/hi`)).status).toBe(502);
    expect((await http(`${url}/nothing`)).status).toBe(404);
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    const left = await dockerClient().listContainers({
      all: true,
      filters: { label: [`${FUNCTION_LABEL}=gateway.${name}`] },
    });
    expect(left).toEqual([]);
  });
});
