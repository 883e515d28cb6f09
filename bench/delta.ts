// Delta benchmark: Aloft vs Debian bsdiff, xdelta3 and zstd --patch-from on real layer pairs
// (bench/delta-corpus.ts), all measured in the same run. Times are medians of --runs runs
// (default 3); CPU seconds are user + system of the same runs (GNU time's %U + %S, median), the
// fairer comparison on a shared machine; apply peak RSS is VmHWM of the built CLI
// (`node dist/delta/main.js apply`) read by GNU time. Prints a Markdown table, totals and the
// ratios the issue targets.
//   npm run bench:delta [-- --runs 3] [-- --only libssl3,lodash] [-- --cli other/delta/main.js]
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CACHE, type CorpusPair, loadCorpus } from './delta-corpus.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    only: { type: 'string', default: '' },
    // Another build of the CLI, e.g. to compare two versions side by side.
    cli: { type: 'string', default: join('dist', 'delta', 'main.js') },
  },
});
const RUNS = Math.max(1, Number(values.runs));
const CLI = resolve(values.cli);
const WORK = join(CACHE, 'work');

interface Timed {
  seconds: number;
  /** User + system CPU seconds. */
  cpu: number;
  maxRssKb: number;
}

/** Runs a command under GNU time; returns wall seconds, CPU seconds and peak RSS (VmHWM). */
function timed(cmd: string, args: string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [s, user, sys, kb] = last.split(' ').map(Number);
  return { seconds: s, cpu: user + sys, maxRssKb: kb };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const size = (p: string) => statSync(p).size;
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

function repeat(n: number, f: () => Timed): Timed {
  const runs = Array.from({ length: n }, f);
  return {
    seconds: median(runs.map((r) => r.seconds)),
    cpu: median(runs.map((r) => r.cpu)),
    maxRssKb: Math.max(...runs.map((r) => r.maxRssKb)),
  };
}

interface Row {
  name: string;
  versions: string;
  newSize: number;
  xz: number;
  bsdiff: number;
  bsdiffSec: number;
  bsdiffCpu: number;
  xdelta3: number;
  zstd: number;
  aloft: number;
  diffSec: number;
  diffCpu: number;
  applySec: number;
  applyRssMb: number;
}

function measure(pair: CorpusPair): Row {
  const dir = join(WORK, pair.name.replace(/[^a-zA-Z0-9.-]/g, '_'));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const { oldPath: o, newPath: n } = pair;
  const xz = execFileSync('xz', ['-9', '-T1', '-c', n], { maxBuffer: 1 << 30 }).length;
  const bs = repeat(RUNS, () => timed('bsdiff', [o, n, join(dir, 'p.bsdiff')]));
  execFileSync('xdelta3', ['-9', '-B', '67108864', '-e', '-f', '-s', o, n, join(dir, 'p.xd3')]);
  execFileSync('zstd', ['-q', '-f', '-19', '--long=27', `--patch-from=${o}`, n, '-o', join(dir, 'p.zst')]);
  const patch = join(dir, 'p.aloft');
  const out = join(dir, 'out');
  const create = repeat(RUNS, () => timed('node', [CLI, 'create', o, n, '-o', patch, '--json']));
  const apply = repeat(RUNS, () => timed('node', [CLI, 'apply', o, patch, '-o', out, '--json']));
  if (sha(out) !== sha(n)) throw new Error(`${pair.name}: Aloft output differs from NEW`);
  const row: Row = {
    name: pair.name,
    versions: `${pair.oldVersion} → ${pair.newVersion}`,
    newSize: size(n),
    xz,
    bsdiff: size(join(dir, 'p.bsdiff')),
    bsdiffSec: bs.seconds,
    bsdiffCpu: bs.cpu,
    xdelta3: size(join(dir, 'p.xd3')),
    zstd: size(join(dir, 'p.zst')),
    aloft: size(patch),
    diffSec: create.seconds,
    diffCpu: create.cpu,
    applySec: apply.seconds,
    applyRssMb: apply.maxRssKb / 1024,
  };
  rmSync(dir, { recursive: true, force: true });
  return row;
}

const kb = (n: number) => (n / 1024).toFixed(1);

function table(rows: Row[]): string {
  const head =
    '| pair | versions | new | xz -9 | bsdiff | bsdiff s | bsdiff CPU s | xdelta3 | zstd --patch-from | **Aloft** | Aloft/bsdiff | diff s | diff CPU s | apply s | apply RSS MB |\n' +
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|';
  const line = (r: Row) =>
    `| ${r.name} | ${r.versions} | ${kb(r.newSize)} | ${kb(r.xz)} | ${kb(r.bsdiff)} | ${r.bsdiffSec.toFixed(1)} | ${r.bsdiffCpu.toFixed(1)} | ${kb(r.xdelta3)} | ${kb(r.zstd)} | **${kb(r.aloft)}** | ${(r.aloft / r.bsdiff).toFixed(2)} | ${r.diffSec.toFixed(1)} | ${r.diffCpu.toFixed(1)} | ${r.applySec.toFixed(1)} | ${r.applyRssMb.toFixed(0)} |`;
  const sum = (k: keyof Row) => rows.reduce((s, r) => s + (r[k] as number), 0);
  const total: Row = {
    name: '**total**',
    versions: '',
    newSize: sum('newSize'),
    xz: sum('xz'),
    bsdiff: sum('bsdiff'),
    bsdiffSec: sum('bsdiffSec'),
    bsdiffCpu: sum('bsdiffCpu'),
    xdelta3: sum('xdelta3'),
    zstd: sum('zstd'),
    aloft: sum('aloft'),
    diffSec: sum('diffSec'),
    diffCpu: sum('diffCpu'),
    applySec: sum('applySec'),
    applyRssMb: Math.max(...rows.map((r) => r.applyRssMb)),
  };
  return [
    head,
    ...rows.map(line),
    line(total),
    '',
    `Sizes in KiB. Times: median of ${RUNS} run(s), wall seconds; CPU s = user + system. RSS: peak (VmHWM) of \`node dist/delta/main.js apply\`.`,
    `Aloft/bsdiff bytes: ${(total.aloft / total.bsdiff).toFixed(3)} (target ≤ 0.9); Aloft diff time / bsdiff time: ${(total.diffSec / total.bsdiffSec).toFixed(3)} (target ≤ 0.5), in CPU time ${(total.diffCpu / total.bsdiffCpu).toFixed(3)}; ` +
      `Aloft/xdelta3: ${(total.aloft / total.xdelta3).toFixed(3)}; Aloft/zstd: ${(total.aloft / total.zstd).toFixed(3)}; Aloft/xz of NEW: ${(total.aloft / total.xz).toFixed(3)}.`,
  ].join('\n');
}

const pairs = loadCorpus(values.only ? values.only.split(',') : undefined);
const rows: Row[] = [];
for (const pair of pairs) {
  process.stderr.write(`bench: ${pair.name}\n`);
  rows.push(measure(pair));
  writeFileSync(join(CACHE, 'last.md'), `${table(rows)}\n`);
}
const machine = `${execFileSync('nproc').toString().trim()} cores, ${execFileSync('uname', ['-m']).toString().trim()}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`;
process.stdout.write(`${table(rows)}\n\nMachine: ${machine}, node ${process.version}.\n`);
