import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BASE_IMAGES, dockerClient } from '../../docker/index.js';
import { projectRoot } from '../../project-root.js';
import { run } from '../exec.js';
import { TARGET_LABEL } from '../network.js';
import { CHAIN_OUT } from '../network-plan.js';

export const TEST_LABEL = 'io.aloft.chaos';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` returns a truthy value; bounded, returns undefined on timeout. */
export async function waitFor<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs: number,
  everyMs = 100,
): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < end; i++) {
    const v = await check();
    if (v) return v;
    await sleep(everyMs);
  }
  return undefined;
}

/** A busybox target that stops on SIGTERM at once (so `stop` needs no 10 s grace). */
const OWNER_LABEL = 'io.aloft.chaos.test-owner';
/** This run: pid to read in `docker ps`, random bytes because pids repeat across pid namespaces
 * (CI in a container beside a developer), so a pid never tells whether another run is alive. */
export const RUN_ID = `${process.pid}-${randomBytes(3).toString('hex')}`;
/** Another run's target is taken as orphaned only when older than this (no chaos test runs so long). */
const ORPHAN_AGE_S = 60 * 60;

export async function startTarget(labels: Record<string, string>, name?: string): Promise<string> {
  const c = await dockerClient().createContainer({
    Image: BASE_IMAGES.busybox,
    Cmd: ['sh', '-c', 'trap "exit 0" TERM; while true; do sleep 1; done'],
    Labels: { [TEST_LABEL]: 'test', [OWNER_LABEL]: RUN_ID, ...labels },
    ...(name ? { name } : {}),
  });
  await c.start();
  return c.id;
}

/**
 * Removes this run's test targets and those of runs older than ORPHAN_AGE_S, with their injector
 * sidecars; never those of another run still going (two runs may share one engine).
 */
export async function removeTestContainers(): Promise<void> {
  const docker = dockerClient();
  const targets = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=test`] } });
  const now = Date.now() / 1000;
  // Another run's target goes only once it is older than any run (judged by the engine's clock of
  // creation, never by a pid, which another pid namespace makes look dead while its run goes on).
  const mine = targets.filter((c) => c.Labels[OWNER_LABEL] === RUN_ID || now - c.Created > ORPHAN_AGE_S);
  const ids = new Set(mine.map((c) => c.Id));
  const live = (await docker.listContainers({ all: true })).map((c) => c.Id);
  const injectors = await docker.listContainers({
    all: true,
    filters: { label: ['io.aloft.chaos.role=injector'] },
  });
  // An injector goes with its target, or when its target is gone.
  const orphans = injectors.filter((c) => {
    const target = c.Labels[TARGET_LABEL];
    if (!target) return false;
    return [...ids].some((id) => id.startsWith(target)) || !live.some((id) => id.startsWith(target));
  });
  for (const c of [...mine, ...orphans])
    await docker
      .getContainer(c.Id)
      .remove({ force: true })
      .catch(() => undefined);
}

export async function inspect(id: string) {
  return dockerClient().getContainer(id).inspect();
}

export async function pidOf(id: string): Promise<number> {
  return (await inspect(id)).State.Pid;
}

/**
 * Round-trip times measured from INSIDE the target's namespace (busybox ping to the bridge
 * gateway); returns the median in ms. Egress faults on the target show up in full.
 */
export async function medianRtt(id: string, count = 9): Promise<number> {
  const gw = Object.values((await inspect(id)).NetworkSettings.Networks)[0]?.Gateway || '172.17.0.1';
  const r = await run(
    'docker',
    ['exec', id, 'ping', '-c', String(count), '-i', '0.2', '-W', '3', gw],
    60_000,
  );
  const times = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
  if (times.length === 0) throw new Error(`no ping reply from ${gw}: ${r.stdout}${r.stderr}`);
  return times[Math.floor(times.length / 2)];
}

/** Pings the bridge gateway from inside the target: echo replies received, and duplicates among them. */
export async function pingCounts(id: string, count = 10): Promise<{ received: number; duplicates: number }> {
  const gw = Object.values((await inspect(id)).NetworkSettings.Networks)[0]?.Gateway || '172.17.0.1';
  const r = await run(
    'docker',
    ['exec', id, 'ping', '-c', String(count), '-i', '0.2', '-W', '2', gw],
    60_000,
  );
  // Counted from the reply lines: a partitioned sender may get EPERM and print no summary.
  const replies = r.stdout.split('\n').filter((l) => / bytes from /.test(l));
  const duplicates = replies.filter((l) => l.includes('(DUP!)')).length;
  return { received: replies.length - duplicates, duplicates };
}

export async function hasChain(id: string): Promise<boolean> {
  const r = await run('nsenter', ['-t', String(await pidOf(id)), '-n', 'iptables', '-w', '-S', CHAIN_OUT]);
  return r.status === 0;
}

export async function qdiscs(id: string): Promise<string> {
  return (await run('nsenter', ['-t', String(await pidOf(id)), '-n', 'tc', 'qdisc', 'show', 'dev', 'eth0']))
    .stdout;
}

export async function helpers(id: string): Promise<number> {
  const list = await dockerClient().listContainers({
    all: true,
    filters: { label: ['io.aloft.chaos.role=injector', `io.aloft.chaos.target=${id}`] },
  });
  return list.length;
}

/** This run's build folder: node_modules may be one folder shared by clones (a symlink), and two
 * runs compiling into one folder at once could read each other's half-written files. */
export const engineBuildDir = (): string =>
  join(projectRoot(), 'node_modules', '.cache', `aloft-chaos-build-${RUN_ID}`);

/** Compiles `aloft chaos` to JS under node_modules/.cache (so packages resolve) for child processes;
 * remove engineBuildDir() afterwards. */
export async function buildEngine(): Promise<string> {
  const root = projectRoot();
  const out = engineBuildDir();
  const args = [
    'tsc',
    '--outDir',
    out,
    '--rootDir',
    '.',
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--target',
    'ES2022',
  ];
  args.push('--skipLibCheck', '--types', 'node', '--strict', '--esModuleInterop', 'sdk/chaos/main.ts');
  await new Promise<void>((resolve, reject) =>
    execFile('npx', args, { cwd: root, timeout: 180_000 }, (err, stdout) =>
      err ? reject(new Error(`tsc failed: ${stdout}`)) : resolve(),
    ),
  );
  const main = join(out, 'sdk', 'chaos', 'main.js');
  if (!existsSync(main)) throw new Error(`no ${main} after tsc`);
  return main;
}

export interface EngineProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Spawns `aloft chaos serve` on a free port and waits for its "listening on" line (bounded). */
export async function spawnEngine(main: string, stateDir: string): Promise<EngineProcess> {
  const child = spawn(
    process.execPath,
    [main, 'serve', '--port', '0', '--state-dir', stateDir, '--no-build', '--seed', '11'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const url = await waitFor(() => /listening on (http:\/\/\S+)/.exec(out)?.[1], 60_000, 50);
  if (!url) {
    child.kill('SIGKILL');
    throw new Error(`the engine did not start: ${out}`);
  }
  return { child, url, output: () => out, exited };
}

/** POSTs a policy form-encoded, as Entropy's client does. */
export async function postForm(url: string, fields: [string, string][]): Promise<Response> {
  return fetch(`${url}/policy/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}
