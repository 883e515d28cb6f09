// Micro-benchmark of the bsdiff kernel (delta/core/bsdiff) against Debian's bsdiff 4.3 on real
// ELF pairs: two Debian archive versions of the same library/program (apt-get download into
// bench/.cache/bsdiff-kernel, nothing committed) and two near-identical Go binaries of this
// machine. Both sides run as child processes under /usr/bin/time in the same run, so wall
// time, CPU time (user+sys, less sensitive to a busy shared machine) and peak RSS compare
// like for like; both write a BSDIFF40 patch (bzip2), and ours is checked with Debian bspatch.
//
//   npm run build && node dist/bench/bsdiff-kernel.js [--runs 3] [--only NAME]
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { bsdiff, bspatch, x86Filter } from '../delta/core/bsdiff/index.js';
import { readBsdiff40, writeBsdiff40 } from '../delta/node/bsdiff40/index.js';

const CACHE = join(process.cwd(), 'bench', '.cache', 'bsdiff-kernel');

interface Pair {
  name: string;
  old: string;
  new: string;
}

// Debian bookworm vs bookworm-security/updates versions (apt-cache madison, Nov 2026).
const DEBIAN: { name: string; pkg: string; path: string; old: string; new: string }[] = [
  { name: 'git', pkg: 'git', path: 'usr/bin/git', old: '1:2.39.5-0+deb12u2', new: '1:2.39.5-0+deb12u3' },
  {
    name: 'libc.so.6',
    pkg: 'libc6',
    path: 'lib/x86_64-linux-gnu/libc.so.6',
    old: '2.36-9+deb12u7',
    new: '2.36-9+deb12u14',
  },
  {
    name: 'libcrypto.so.3',
    pkg: 'libssl3',
    path: 'usr/lib/x86_64-linux-gnu/libcrypto.so.3',
    old: '3.0.17-1~deb12u2',
    new: '3.0.22-1~deb12u2',
  },
  {
    name: 'libpython3.11.so',
    pkg: 'libpython3.11',
    path: 'usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0',
    old: '3.11.2-6+deb12u8',
    new: '3.11.2-6+deb12u9',
  },
];
const LOCAL: Pair[] = [
  {
    name: 'containerd-shim-runc v1->v2',
    old: '/usr/bin/containerd-shim-runc-v1',
    new: '/usr/bin/containerd-shim-runc-v2',
  },
];

function fetchDebianFile(pkg: string, version: string, path: string): string {
  const to = join(CACHE, `${pkg}_${version.replace(/[^\w.+~-]/g, '_')}_${path.replace(/\//g, '_')}`);
  if (existsSync(to)) return to;
  const tmp = `${to}.dl`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  execFileSync('apt-get', ['download', '-q', `${pkg}=${version}`], {
    cwd: tmp,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${pkg}=${version} produced no .deb`);
  execFileSync('dpkg-deb', ['-x', join(tmp, deb), join(tmp, 'x')]);
  renameSync(join(tmp, 'x', path), to);
  rmSync(tmp, { recursive: true, force: true });
  return to;
}

interface Timed {
  wall: number;
  cpu: number;
  rssMb: number;
  stdout: string;
}

/** Runs a command under GNU time: wall seconds, user+sys seconds and peak RSS of it and its children. */
function timed(cmd: string, args: string[]): Timed {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S %M', cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  const line = r.stderr.split('\n').find((l) => l.startsWith('TIME '));
  if (r.status !== 0 || !line) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.trim()}`);
  const [wall, user, sys, rss] = line.slice(5).split(' ').map(Number);
  return { wall, cpu: user + sys, rssMb: rss / 1024, stdout: r.stdout };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Child mode: our diff + BSDIFF40 write, reporting the kernel's own CPU time. */
async function child(oldPath: string, newPath: string, patchPath: string): Promise<void> {
  // Views, not copies: the peak RSS column should show the kernel's memory, not ours twice.
  const view = (buf: Buffer): Uint8Array => new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  const a = view(readFileSync(oldPath));
  const b = view(readFileSync(newPath));
  const c0 = process.cpuUsage();
  const streams = bsdiff(a, b);
  const c1 = process.cpuUsage(c0);
  writeFileSync(patchPath, await writeBsdiff40(streams, b.length));
  process.stdout.write(JSON.stringify({ kernelCpu: (c1.user + c1.system) / 1e6 }));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], argv[2], argv[3]);
  const runs = Number(argv[argv.indexOf('--runs') + 1]) || (argv.includes('--runs') ? 1 : 3);
  const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
  mkdirSync(CACHE, { recursive: true });
  const pairs: Pair[] = [
    ...DEBIAN.map((d) => ({
      name: d.name,
      old: fetchDebianFile(d.pkg, d.old, d.path),
      new: fetchDebianFile(d.pkg, d.new, d.path),
    })),
    ...LOCAL.filter((p) => existsSync(p.old) && existsSync(p.new)),
  ].filter((p) => !only || p.name.includes(only));
  const self = new URL(import.meta.url).pathname;
  const tmp = join(CACHE, 'tmp');
  mkdirSync(tmp, { recursive: true });
  const rows: string[] = [];
  const totals = { debCpu: 0, ourCpu: 0, debWall: 0, ourWall: 0, debBytes: 0, ourBytes: 0, x86Bytes: 0 };
  for (const p of pairs) {
    const deb: Timed[] = [];
    const ours: Timed[] = [];
    const kernel: number[] = [];
    const debPatch = join(tmp, 'debian.bsdiff');
    const ourPatch = join(tmp, 'ours.bsdiff');
    for (let r = 0; r < runs; r++) {
      deb.push(timed('bsdiff', [p.old, p.new, debPatch]));
      const t = timed(process.execPath, [self, '--child', p.old, p.new, ourPatch]);
      ours.push(t);
      kernel.push(JSON.parse(t.stdout).kernelCpu);
    }
    // Our patch must rebuild NEW with Debian's bspatch, theirs with ours.
    const out = join(tmp, 'out');
    execFileSync('bspatch', [p.old, out, ourPatch]);
    const newBytes = new Uint8Array(readFileSync(p.new));
    if (Buffer.compare(readFileSync(out), newBytes) !== 0)
      throw new Error(`${p.name}: Debian bspatch did not rebuild NEW from our patch`);
    const t0 = performance.now();
    const { streams, newSize } = await readBsdiff40(new Uint8Array(readFileSync(debPatch)));
    const rebuilt = bspatch(new Uint8Array(readFileSync(p.old)), streams, newSize);
    const applySec = (performance.now() - t0) / 1000;
    if (Buffer.compare(rebuilt, newBytes) !== 0)
      throw new Error(`${p.name}: our bspatch did not rebuild NEW from Debian's patch`);

    // The x86-64 branch filter (stretch): patch bytes of the filtered pair, checked to invert.
    const oldBytes = new Uint8Array(readFileSync(p.old));
    const fo = x86Filter.encode(oldBytes);
    const fn = x86Filter.encode(newBytes);
    const fs = bsdiff(fo, fn);
    const x86Bytes = (await writeBsdiff40(fs, fn.length)).length;
    if (Buffer.compare(x86Filter.decode(bspatch(fo, fs, fn.length)), newBytes) !== 0)
      throw new Error(`${p.name}: the x86 filter did not invert`);

    const m = (xs: Timed[], k: 'wall' | 'cpu' | 'rssMb'): number => median(xs.map((x) => x[k]));
    const debBytes = statSync(debPatch).size;
    const ourBytes = statSync(ourPatch).size;
    totals.debCpu += m(deb, 'cpu');
    totals.ourCpu += m(ours, 'cpu');
    totals.debWall += m(deb, 'wall');
    totals.ourWall += m(ours, 'wall');
    totals.debBytes += debBytes;
    totals.ourBytes += ourBytes;
    totals.x86Bytes += x86Bytes;
    rows.push(
      `| ${p.name} | ${(statSync(p.old).size / 1e6).toFixed(2)} / ${(newBytes.length / 1e6).toFixed(2)} | ` +
        `${m(deb, 'wall').toFixed(2)} / ${m(deb, 'cpu').toFixed(2)} | ${debBytes} | ${m(deb, 'rssMb').toFixed(0)} | ` +
        `${m(ours, 'wall').toFixed(2)} / ${m(ours, 'cpu').toFixed(2)} (kernel ${median(kernel).toFixed(2)}) | ${ourBytes} | ${m(ours, 'rssMb').toFixed(0)} | ` +
        `${(m(ours, 'cpu') / m(deb, 'cpu')).toFixed(2)} | ${(ourBytes / debBytes).toFixed(3)} | ${x86Bytes} (${(x86Bytes / debBytes).toFixed(3)}) | ${applySec.toFixed(2)} |`,
    );
    process.stderr.write(`${rows[rows.length - 1]}\n`);
  }
  const head =
    `bsdiff kernel vs Debian bsdiff 4.3, median of ${runs} run(s); ${new Date().toISOString()}, ` +
    `${(await import('node:os')).cpus().length} cores, load ${(await import('node:os')).loadavg()[0].toFixed(1)}\n\n` +
    '| pair | old / new MB | Debian wall / cpu s | Debian patch B | Debian RSS MB | ours wall / cpu s | ours patch B | ours RSS MB | cpu ratio | size ratio | ours+x86 filter B (ratio) | our apply s |\n' +
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |';
  const total =
    `| **total** | | ${totals.debWall.toFixed(2)} / ${totals.debCpu.toFixed(2)} | ${totals.debBytes} | | ` +
    `${totals.ourWall.toFixed(2)} / ${totals.ourCpu.toFixed(2)} | ${totals.ourBytes} | | ${(totals.ourCpu / totals.debCpu).toFixed(2)} | ${(totals.ourBytes / totals.debBytes).toFixed(3)} | ${totals.x86Bytes} (${(totals.x86Bytes / totals.debBytes).toFixed(3)}) | |`;
  process.stdout.write(`${head}\n${rows.join('\n')}\n${total}\n`);
}

await main();
