// The wasm component against the Node path: component size, instantiate time, apply throughput
// (MB/s of rebuilt layer) relative to the Node path, and peak memory. Each measurement runs in
// a fresh child process so its peak RSS is its own. Times are medians of --runs applies after one
// warm-up; the machine is shared, so the ratio to Node is given by CPU time (user+sys of the
// process during the apply) as well as by wall time.
//
//   npm run build && node dist/bench/wasm.js [--engines qjs,qjs-hosted-hash,qjs-kernels,starlingmonkey]
//                                            [--mb 3] [--runs 5] [--json out.json]
//
// The layer pair is real files from /usr/bin (binaries), every 7th edited in place, some renamed,
// removed and added (wasm/testing/layers.ts); the patch is made by the Node path. "node core"
// is delta/core applyPatch in memory with node:crypto (what the component's work compares to);
// "node file" is the whole `delta apply` path (files, source digest check, fsync).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { applyPatch, bytesSource, DEFAULT_LIMITS, decodeHead, hex, pureSha256 } from '../delta/core/index.js';
import { applyPatchFile } from '../delta/node/apply.js';
import { createPatchFile } from '../delta/node/create.js';
import { nodeSha256 } from '../delta/node/hash.js';
import { projectRoot } from '../sdk/project-root.js';
import { componentDelta } from '../wasm/adapters.js';
import { type EngineKind, loadComponent } from '../wasm/host.js';
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
    engines: { type: 'string', default: 'qjs-kernels,qjs-hosted-hash,qjs' },
    mb: { type: 'string', default: '3' },
    runs: { type: 'string', default: '5' },
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

/**
 * In a child: one engine, one warm-up apply then the median of `runs` (wall and CPU), each
 * verified against the expected digest. The plain-QuickJS engine hashes at ~0.3 MB/s: it gets
 * one measured run and no warm-up, or this would take minutes.
 */
async function child(kind: string): Promise<void> {
  const old = readFileSync(values.old!);
  const patch = readFileSync(values.patch!);
  const slow = kind === 'qjs' || kind === 'qjs-speed';
  const runs = slow ? 1 : Number(values.runs) + 1;
  const times: number[] = [];
  const cpu: number[] = [];
  let out = 0;
  let sizeMB: number | null = null;
  let instantiateMs: number | null = null;
  if (kind.startsWith('node')) {
    const sha = kind === 'node-core-noble' ? pureSha256 : nodeSha256;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const c0 = cpuMs();
      out = 0;
      if (kind === 'node-file') {
        await applyPatchFile(values.old!, values.patch!, `${values.patch}.out`);
        out = readFileSync(`${values.patch}.out`).length;
      } else {
        const src = bytesSource(patch);
        applyPatch({
          patch: src,
          old: bytesSource(old),
          decoded: decodeHead(src, DEFAULT_LIMITS),
          sha256: sha,
          limits: DEFAULT_LIMITS,
          sink: (c) => {
            out += c.length;
          },
        });
      }
      times.push(performance.now() - t0);
      cpu.push(cpuMs() - c0);
    }
  } else {
    const c = await loadComponent(kind as EngineKind);
    sizeMB = c.wasmBytes / 1e6;
    instantiateMs = c.timings.instantiateMs;
    const engine = componentDelta(c);
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      const c0 = cpuMs();
      out = 0;
      const d = engine.apply(bytesSource(old), bytesSource(patch), (chunk) => {
        out += chunk.length;
      });
      times.push(performance.now() - t0);
      cpu.push(cpuMs() - c0);
      if (d.sha256 !== values.expect)
        throw new Error(`${kind} rebuilt sha256 ${d.sha256}, expected ${values.expect}`);
    }
  }
  // The first apply warms the JITs (V8's for node and for the component's wasm) and is not counted.
  const counted = (xs: number[]) => (xs.length > 1 ? xs.slice(1) : xs);
  const result: ChildResult & { out: number } = {
    sizeMB,
    instantiateMs,
    applyS: median(counted(times)) / 1000,
    cpuS: median(counted(cpu)) / 1000,
    out,
    peakRssMB: peakRssMB(),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const root = projectRoot();
  const cache = join(root, 'bench/.cache/wasm');
  mkdirSync(cache, { recursive: true });
  const mb = Number(values.mb);
  const name = `usr-bin-${mb}mb`;
  const patchPath = join(cache, `${name}.aloft`);
  let pair = { oldPath: join(cache, `${name}-v1.tar`), newPath: join(cache, `${name}-v2.tar`) };
  if (!existsSync(patchPath)) {
    pair = appLayers(cache, name, ['/usr/bin'], mb * 1e6);
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
  const results: Record<string, ChildResult> = {};
  const failed: Record<string, string> = {};
  for (const kind of kinds) {
    process.stderr.write(`measuring ${kind} ...\n`);
    try {
      const outText = execFileSync(
        process.execPath,
        [
          script,
          '--child',
          kind,
          '--old',
          pair.oldPath,
          '--patch',
          patchPath,
          '--expect',
          expect,
          '--runs',
          values.runs!,
        ],
        { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 },
      );
      results[kind] = JSON.parse(outText.trim().split('\n').pop()!);
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
  const nodeCore = results['node-core'];
  const rows: Row[] = kinds
    .filter((k) => results[k])
    .map((k) => ({
      engine: k,
      sizeMB: results[k].sizeMB,
      instantiateMs: results[k].instantiateMs,
      applyS: results[k].applyS,
      cpuS: results[k].cpuS,
      mbPerS: layerMB / results[k].applyS,
      vsNodeCore: nodeCore.applyS / results[k].applyS,
      vsNodeCoreCpu: nodeCore.cpuS / results[k].cpuS,
      peakRssMB: results[k].peakRssMB,
    }));
  const f = (n: number | null, d = 2) => (n === null ? '-' : n.toFixed(d));
  const lines = [
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    `layer: ${layerMB.toFixed(2)} MB tar (${name}), patch ${(patch.length / 1e3).toFixed(0)} kB, median of ${values.runs} after a warm-up (qjs: 1 run)`,
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    '',
    '| engine | component MB | instantiate ms | apply ms (wall) | apply ms (CPU) | MB/s (wall) | x node core (CPU) | x node core (wall) | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.engine} | ${f(r.sizeMB)} | ${f(r.instantiateMs, 0)} | ${f(r.applyS * 1000, 1)} | ${f(r.cpuS * 1000, 1)} | ${f(r.mbPerS)} | ${f(r.vsNodeCoreCpu, 3)} | ${f(r.vsNodeCore, 3)} | ${f(r.peakRssMB, 0)} |`,
    ),
  ];
  for (const [k, why] of Object.entries(failed)) lines.push(`| ${k} | failed: ${why} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json)
    writeFileSync(values.json, JSON.stringify({ layerMB, patchBytes: patch.length, rows, failed }, null, 2));
}

if (values.prepare) {
  for (const kind of values.prepare.split(',').filter(Boolean))
    await loadComponent(kind as EngineKind).catch((e) => process.stderr.write(`${kind}: ${e}\n`));
} else if (values.child) await child(values.child);
else await main();
