// The wasm component against the Node path: component size, instantiate time, apply throughput
// (MB/s of rebuilt layer) relative to the Node path, and peak memory. Each measurement runs in
// a fresh child process so its peak RSS is its own. Times are medians of --runs applies after
// --warmup applies (V8 moves a wasm function to its optimising compiler only after it has run a
// while: the component needs about six 3 MB applies to reach its steady speed); the machine is
// shared, so the ratio to Node is given by CPU time (user+sys of the process during the apply) as
// well as by wall time, against delta/core in Node (node core, the main ratio) and against the
// whole `delta apply` (node file, what a user runs).
//
//   npm run build && node dist/bench/wasm.js [--engines qjs,qjs-hosted-hash,qjs-kernels,qjs-kernels-hosted-hash,starlingmonkey]
//                                            [--mb 3 | --pair DIR] [--runs 9] [--warmup 8] [--json out.json]
//
// The layer pair is real files from /usr/bin (binaries), every 7th edited in place, some renamed,
// removed and added (wasm/testing/layers.ts); the patch is made by the Node path. "node core"
// is delta/core applyPatch in memory with node:crypto (what the component's work compares to);
// "node file" is the whole `delta apply` path (files, source digest check, fsync).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  applyPatch,
  bytesSource,
  DEFAULT_LIMITS,
  decodeHead,
  hex,
  pureSha256,
  type Sha256Factory,
} from '../delta/core/index.js';
import { applyPatchFile } from '../delta/node/apply.js';
import { createPatchFile } from '../delta/node/create.js';
import { nodeSha256 } from '../delta/node/hash.js';
import { projectRoot } from '../sdk/project-root.js';
import { componentDelta } from '../wasm/adapters.js';
import { type EngineKind, loadComponent } from '../wasm/host.js';
import { sha256Speed } from '../wasm/testing/hash-speed.js';
import { appLayers } from '../wasm/testing/layers.js';

interface Row {
  engine: string;
  sizeMB: number | null;
  instantiateMs: number | null;
  applyS: number;
  cpuS: number;
  mbPerS: number;
  vsNodeCore: number;
  vsNodeCoreCpu: number;
  vsNodeFile: number;
  vsNodeFileCpu: number;
  peakRssMB: number;
}

interface ChildResult {
  sizeMB: number | null;
  instantiateMs: number | null;
  applyS: number;
  cpuS: number;
  peakRssMB: number;
}

const { values } = parseArgs({
  options: {
    engines: { type: 'string', default: 'qjs-kernels,qjs-kernels-hosted-hash,qjs-hosted-hash,qjs' },
    mb: { type: 'string', default: '3' },
    pair: { type: 'string' },
    runs: { type: 'string', default: '9' },
    warmup: { type: 'string', default: '8' },
    json: { type: 'string' },
    child: { type: 'string' },
    old: { type: 'string' },
    patch: { type: 'string' },
    expect: { type: 'string' },
    prepare: { type: 'string' },
  },
});

const peakRssMB = () => process.resourceUsage().maxRSS / 1024;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** delta/core's applyPatch in memory (the node-core path). */
function coreApply(old: Uint8Array, patch: Uint8Array, sha256: Sha256Factory, sink: (c: Uint8Array) => void) {
  const src = bytesSource(patch);
  applyPatch({
    patch: src,
    old: bytesSource(old),
    decoded: decodeHead(src, DEFAULT_LIMITS),
    sha256,
    limits: DEFAULT_LIMITS,
    sink,
  });
}

interface Applier {
  sizeMB: number | null;
  instantiateMs: number | null;
  /** One apply, checked against the expected digest; resolves to the bytes it rebuilt. */
  apply(): Promise<number>;
}

async function applier(kind: string, old: Uint8Array, patch: Uint8Array): Promise<Applier> {
  if (kind.startsWith('node')) {
    const sha = kind === 'node-core-noble' ? pureSha256 : nodeSha256;
    const apply = async () => {
      if (kind === 'node-file') {
        await applyPatchFile(values.old!, values.patch!, `${values.patch}.out`);
        return readFileSync(`${values.patch}.out`).length;
      }
      let out = 0;
      coreApply(old, patch, sha, (c) => {
        out += c.length;
      });
      return out;
    };
    return { sizeMB: null, instantiateMs: null, apply };
  }
  const c = await loadComponent(kind as EngineKind);
  const engine = componentDelta(c);
  const apply = async () => {
    let out = 0;
    const d = engine.apply(bytesSource(old), bytesSource(patch), (chunk) => {
      out += chunk.length;
    });
    if (d.sha256 !== values.expect)
      throw new Error(`${kind} rebuilt sha256 ${d.sha256}, expected ${values.expect}`);
    return out;
  };
  return { sizeMB: c.wasmBytes / 1e6, instantiateMs: c.timings.instantiateMs, apply };
}

/**
 * In a child: the engines given, applied in turn `warmup` + `runs` times (one engine: its own
 * process and peak RSS; several: alternated, so each round meets the same load), medians of the
 * counted runs (wall and CPU). The plain-QuickJS engine hashes at ~0.3 MB/s: it gets one measured
 * run and no warm-up, or this would take minutes.
 */
async function child(kinds: string[]): Promise<void> {
  const old = readFileSync(values.old!);
  const patch = readFileSync(values.patch!);
  const slow = kinds.some((k) => k === 'qjs' || k === 'qjs-speed');
  const warmup = slow ? 0 : Number(values.warmup);
  const runs = slow ? 1 : warmup + Number(values.runs);
  const appliers = await Promise.all(kinds.map((k) => applier(k, old, patch)));
  const times: number[][] = kinds.map(() => []);
  const cpu: number[][] = kinds.map(() => []);
  let out = 0;
  for (let r = 0; r < runs; r++)
    for (const [i, a] of appliers.entries()) {
      const t0 = performance.now();
      const c0 = cpuMs();
      out = await a.apply();
      times[i].push(performance.now() - t0);
      cpu[i].push(cpuMs() - c0);
    }
  // The warm-up applies let the JITs (V8's for node and for the component's wasm) reach steady speed.
  const counted = (xs: number[]) => xs.slice(warmup);
  const results = appliers.map((a, i) => ({
    sizeMB: a.sizeMB,
    instantiateMs: a.instantiateMs,
    applyS: median(counted(times[i])) / 1000,
    cpuS: median(counted(cpu[i])) / 1000,
    out,
    peakRssMB: peakRssMB(),
  }));
  process.stdout.write(`${JSON.stringify(kinds.length === 1 ? results[0] : results)}\n`);
}

async function main(): Promise<void> {
  const root = projectRoot();
  const cache = join(root, 'bench/.cache/wasm');
  mkdirSync(cache, { recursive: true });
  const mb = Number(values.mb);
  // --pair DIR: a real update (DIR/old.tar -> DIR/new.tar, e.g. bench/.cache/delta/libssl3 from
  // bench/delta.ts); otherwise the synthetic layer pair of /usr/bin files.
  const name = values.pair ? `pair-${basename(values.pair)}` : `usr-bin-${mb}mb`;
  const patchPath = join(cache, `${name}.aloft`);
  let pair = values.pair
    ? { oldPath: join(values.pair, 'old.tar'), newPath: join(values.pair, 'new.tar') }
    : { oldPath: join(cache, `${name}-v1.tar`), newPath: join(cache, `${name}-v2.tar`) };
  if (!existsSync(patchPath)) {
    if (!values.pair) pair = appLayers(cache, name, ['/usr/bin'], mb * 1e6);
    createPatchFile(pair.oldPath, pair.newPath, patchPath);
  }
  const patch = readFileSync(patchPath);
  const head = decodeHead(bytesSource(patch), DEFAULT_LIMITS).head;
  const expect = hex(head.target.sha256);
  const layerMB = head.target.size / 1e6;
  const script = join(root, 'dist/bench/wasm.js');
  const kinds = ['node-core', 'node-core-noble', 'node-file', ...values.engines!.split(',')];
  // Build and transpile every component first, in a child of its own, so a measuring child's
  // peak RSS and instantiate time are the component's, not the build's (componentize, jco
  // print/parse). Not in this process: Linux carries the peak RSS across fork+exec into children.
  execFileSync(
    process.execPath,
    [script, '--prepare', kinds.filter((k) => !k.startsWith('node')).join(',')],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      timeout: 1_200_000,
    },
  );
  const runChild = (engines: string[]): unknown => {
    const outText = execFileSync(
      process.execPath,
      [
        script,
        '--child',
        engines.join(','),
        '--old',
        pair.oldPath,
        '--patch',
        patchPath,
        '--expect',
        expect,
        '--runs',
        values.runs!,
        '--warmup',
        values.warmup!,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'], timeout: 900_000 },
    );
    return JSON.parse(outText.trim().split('\n').pop()!);
  };
  const results: Record<string, ChildResult> = {};
  const failed: Record<string, string> = {};
  for (const kind of kinds) {
    process.stderr.write(`measuring ${kind} ...\n`);
    try {
      results[kind] = runChild([kind]) as ChildResult;
    } catch (e) {
      // An engine that cannot apply is a result too: keep its line, say why.
      const stderr = String((e as { stderr?: string }).stderr ?? e);
      failed[kind] =
        stderr
          .split('\n')
          .find((l) => /Error:/.test(l))
          ?.trim() ?? 'failed';
    }
  }
  // The same engines (but the minutes-long plain QuickJS) once more, taking turns in one process:
  // on a shared machine each round then meets the same load, which separate children do not.
  const turns = kinds.filter((k) => results[k] && !['qjs', 'qjs-speed', 'node-core-noble'].includes(k));
  process.stderr.write(`measuring ${turns.join(', ')} in turns ...\n`);
  const alternated = Object.fromEntries(
    (runChild(turns) as ChildResult[]).map((r, i) => [turns[i], r]),
  ) as Record<string, ChildResult>;
  const rowsOf = (res: Record<string, ChildResult>): Row[] => {
    const nodeCore = res['node-core'];
    const nodeFile = res['node-file'];
    return kinds
      .filter((k) => res[k])
      .map((k) => ({
        engine: k,
        sizeMB: res[k].sizeMB,
        instantiateMs: res[k].instantiateMs,
        applyS: res[k].applyS,
        cpuS: res[k].cpuS,
        mbPerS: layerMB / res[k].applyS,
        vsNodeCore: nodeCore.applyS / res[k].applyS,
        vsNodeCoreCpu: nodeCore.cpuS / res[k].cpuS,
        vsNodeFile: nodeFile ? nodeFile.applyS / res[k].applyS : Number.NaN,
        vsNodeFileCpu: nodeFile ? nodeFile.cpuS / res[k].cpuS : Number.NaN,
        peakRssMB: res[k].peakRssMB,
      }));
  };
  const rows = rowsOf(results);
  const turnRows = rowsOf(alternated);
  const nodeCore = results['node-core'];
  const f = (n: number | null, d = 2) => (n === null ? '-' : n.toFixed(d));
  const lines = [
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    `layer: ${layerMB.toFixed(2)} MB tar (${name}), patch ${(patch.length / 1e3).toFixed(0)} kB, median of ${values.runs} after ${values.warmup} warm-up applies (qjs: 1 run)`,
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    '',
    '| engine | component MB | instantiate ms | apply ms (wall) | apply ms (CPU) | MB/s (wall) | x node core (CPU) | x node core (wall) | x node file (CPU) | x node file (wall) | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.engine} | ${f(r.sizeMB)} | ${f(r.instantiateMs, 0)} | ${f(r.applyS * 1000, 1)} | ${f(r.cpuS * 1000, 1)} | ${f(r.mbPerS)} | ${f(r.vsNodeCoreCpu, 3)} | ${f(r.vsNodeCore, 3)} | ${f(r.vsNodeFileCpu, 3)} | ${f(r.vsNodeFile, 3)} | ${f(r.peakRssMB, 0)} |`,
    ),
  ];
  for (const [k, why] of Object.entries(failed)) lines.push(`| ${k} | failed: ${why} |`);
  lines.push(
    '',
    `Taking turns in one process (same rounds as above, one child; peak RSS is the whole child's):`,
    '',
    '| engine | apply ms (wall) | apply ms (CPU) | MB/s (wall) | x node core (CPU) | x node core (wall) | x node file (CPU) | x node file (wall) |',
    '|---|---|---|---|---|---|---|---|',
    ...turnRows.map(
      (r) =>
        `| ${r.engine} | ${f(r.applyS * 1000, 1)} | ${f(r.cpuS * 1000, 1)} | ${f(r.mbPerS)} | ${f(r.vsNodeCoreCpu, 3)} | ${f(r.vsNodeCore, 3)} | ${f(r.vsNodeFileCpu, 3)} | ${f(r.vsNodeFile, 3)} |`,
    ),
  );
  const floor = await hashFloor(readFileSync(pair.oldPath), patch, nodeCore?.cpuS);
  lines.push('', floor.text);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify(
        { layerMB, patchBytes: patch.length, rows, turnRows, failed, hashFloor: floor },
        null,
        2,
      ),
    );
}

/**
 * What hashing alone costs the component: the bytes apply hashes (counted on the Node path: the
 * layer plus each changed file) at the C kernel's speed, next to node-core's whole apply.
 */
async function hashFloor(oldBytes: Uint8Array, patch: Uint8Array, nodeCoreCpuS?: number) {
  let hashedBytes = 0;
  const counting: Sha256Factory = () => {
    const h = nodeSha256();
    return {
      update: (b) => {
        hashedBytes += b.length;
        h.update(b);
      },
      digest: () => h.digest(),
    };
  };
  coreApply(oldBytes, patch, counting, () => {});
  const speed = await sha256Speed(projectRoot());
  const floorMs = hashedBytes / 1e3 / speed.kernelMBs;
  const nodeMs = (nodeCoreCpuS ?? Number.NaN) * 1000;
  const text =
    `SHA-256 alone (CPU, 64 KiB pieces): C kernel ${speed.kernelMBs.toFixed(0)} MB/s, node:crypto ${speed.nodeMBs.toFixed(0)} MB/s. ` +
    `This apply hashes ${(hashedBytes / 1e6).toFixed(2)} MB (the layer, then each changed file again): ` +
    `${floorMs.toFixed(1)} ms at the kernel's speed, against ${nodeMs.toFixed(1)} ms for node-core's whole apply, ` +
    `so x node core (CPU) cannot pass ${(nodeMs / floorMs).toFixed(2)} whatever else the component saves.`;
  return { hashedBytes, ...speed, floorMs, text };
}

if (values.prepare) {
  for (const kind of values.prepare.split(',').filter(Boolean))
    await loadComponent(kind as EngineKind).catch((e) => process.stderr.write(`${kind}: ${e}\n`));
} else if (values.child) await child(values.child.split(','));
else await main();
