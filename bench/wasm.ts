// The wasm component against the Node path: component size, instantiate time, apply throughput
// (MB/s of rebuilt layer) relative to the Node path, and peak memory. Each measurement runs in
// a fresh child process so its peak RSS is its own.
//
//   npm run build && node dist/bench/wasm.js [--engines qjs,qjs-hosted-hash,starlingmonkey]
//                                            [--mb 3] [--runs 2] [--json out.json]
//
// The layer pair is real files from /usr/bin (binaries), every 7th edited in place, some renamed,
// removed and added (wasm/testing/layers.ts); the patch is made by the Node path. "node core"
// is delta/core applyPatch in memory with node:crypto (what the component's work compares to);
// "node file" is the whole `delta apply` path (files, source digest check, fsync).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
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
  mbPerS: number;
  vsNodeCore: number;
  peakRssMB: number;
}

const { values } = parseArgs({
  options: {
    engines: { type: 'string', default: 'qjs,qjs-hosted-hash' },
    mb: { type: 'string', default: '3' },
    runs: { type: 'string', default: '2' },
    json: { type: 'string' },
    child: { type: 'string' },
    old: { type: 'string' },
    patch: { type: 'string' },
    expect: { type: 'string' },
  },
});

const peakRssMB = () => process.resourceUsage().maxRSS / 1024;

/** In a child: one engine, best of `runs` applies, verified against the expected digest. */
async function child(kind: string): Promise<void> {
  const old = readFileSync(values.old!);
  const patch = readFileSync(values.patch!);
  const runs = Number(values.runs);
  const times: number[] = [];
  let out = 0;
  let sizeMB: number | null = null;
  let instantiateMs: number | null = null;
  if (kind.startsWith('node')) {
    const sha = kind === 'node-core-noble' ? pureSha256 : nodeSha256;
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
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
    }
  } else {
    const c = await loadComponent(kind as EngineKind);
    sizeMB = c.wasmBytes / 1e6;
    instantiateMs = c.timings.instantiateMs;
    const engine = componentDelta(c);
    for (let r = 0; r < runs; r++) {
      const t0 = performance.now();
      out = 0;
      const d = engine.apply(bytesSource(old), bytesSource(patch), (chunk) => {
        out += chunk.length;
      });
      times.push(performance.now() - t0);
      if (d.sha256 !== values.expect)
        throw new Error(`${kind} rebuilt sha256 ${d.sha256}, expected ${values.expect}`);
    }
  }
  const best = Math.min(...times) / 1000;
  process.stdout.write(
    `${JSON.stringify({ sizeMB, instantiateMs, applyS: best, out, peakRssMB: peakRssMB() })}\n`,
  );
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
  const results: Record<
    string,
    { sizeMB: number | null; instantiateMs: number | null; applyS: number; peakRssMB: number }
  > = {};
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
        { encoding: 'utf8', maxBuffer: 1 << 20, stdio: ['ignore', 'pipe', 'pipe'] },
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
  const nodeCore = results['node-core'].applyS;
  const rows: Row[] = kinds
    .filter((k) => results[k])
    .map((k) => ({
      engine: k,
      sizeMB: results[k].sizeMB,
      instantiateMs: results[k].instantiateMs,
      applyS: results[k].applyS,
      mbPerS: layerMB / results[k].applyS,
      vsNodeCore: nodeCore / results[k].applyS,
      peakRssMB: results[k].peakRssMB,
    }));
  const f = (n: number | null, d = 2) => (n === null ? '-' : n.toFixed(d));
  const lines = [
    `machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
    `layer: ${layerMB.toFixed(2)} MB tar (${name}), patch ${(patch.length / 1e3).toFixed(0)} kB, best of ${values.runs}`,
    '',
    '| engine | component MB | instantiate ms | apply s | MB/s | x node core | peak RSS MB |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.engine} | ${f(r.sizeMB)} | ${f(r.instantiateMs, 0)} | ${f(r.applyS)} | ${f(r.mbPerS)} | ${f(r.vsNodeCore, 3)} | ${f(r.peakRssMB, 0)} |`,
    ),
  ];
  for (const [k, why] of Object.entries(failed)) lines.push(`| ${k} | failed: ${why} |`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (values.json)
    writeFileSync(values.json, JSON.stringify({ layerMB, patchBytes: patch.length, rows, failed }, null, 2));
}

if (values.child) await child(values.child);
else await main();
