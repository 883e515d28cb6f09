#!/usr/bin/env node
// Builds the Aloft engine component: wasm/build/engine-<variant>.wasm.
//
//   node wasm/build.mjs [--engine qjs-kernels|qjs-kernels-hosted-hash|qjs|qjs-hosted-hash|...|all] [--force]
//
// The shipped component is qjs-kernels (the default): the QuickJS engine with SHA-256,
// bspatch's add and the codecs compiled from C (wasm/kernels: zstd's own decoder, gzip's deflate
// and inflate) inside it, importing only `io`.
//
// 1. rolldown bundles wasm/src/component.ts with the SAME TypeScript the Node path runs
//    (sdk/policy, delta/core) into one ES module: there is no second implementation.
// 2. componentize-qjs embeds it in QuickJS (the size-optimised, non-async runtime) and
//    snapshots the initialised heap with Wizer; every WASI import is replaced by a trap stub,
//    so the component imports only its own `io` port. `qjs-hosted-hash` is the same engine in
//    the world that also borrows SHA-256 from the host (see wit/aloft.wit). StarlingMonkey
//    (componentize-js) is kept for the benchmark: about 12 MB and it needs WASI, which is why
//    it is not the default.
// 3. For qjs-kernels: the bundle takes delta/core's zstd decoder and deflate codec from wasm/src
//    classes of the same shape over the kernels (the resolve plugins below); clang compiles
//    wasm/kernels (wasm/kernels.mjs), and wasm/compose.mjs wires the kernels into the engine's
//    core wiring (shared memory) and composes the result.
// 4. A stamp (hash of every input and tool version) lets tests skip the build when nothing
//    changed; the output is written to a temp name and renamed, never left half-written.
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'wasm/build');
const INPUTS = [
  'wasm/src',
  'wasm/wit',
  'wasm/kernels',
  'wasm/kernels.mjs',
  'wasm/compose.mjs',
  'sdk/policy',
  'delta/core',
  'wasm/build.mjs',
  'package-lock.json',
];

async function files(path) {
  const s = await stat(join(root, path)).catch(() => null);
  if (!s) return [];
  if (!s.isDirectory()) return [path];
  const names = (await readdir(join(root, path))).sort();
  const nested = await Promise.all(
    names
      .filter((n) => !n.endsWith('.test.ts') && n !== 'testing' && n !== 'build')
      .map((n) => files(join(path, n))),
  );
  return nested.flat();
}

/** Hash of every input file's path and content plus the engine: the cache key. */
export async function inputStamp(engine) {
  const h = createHash('sha256').update(`engine=${engine}\n`);
  // The kernels are compiled here: a different clang is a different component.
  if (VARIANTS[engine]?.kernels) {
    const { clangVersion } = await import('./kernels.mjs');
    h.update(`clang=${clangVersion()}\n`);
  }
  for (const p of (await Promise.all(INPUTS.map(files))).flat()) {
    h.update(`${p}\n`).update(await readFile(join(root, p)));
  }
  return h.digest('hex');
}

/** Each build variant: the bundle entry, the WIT world and the JS engine that runs it. */
export const VARIANTS = {
  qjs: { entry: 'component.ts', world: 'engine', runtime: 'qjs' },
  'qjs-hosted-hash': { entry: 'component-hosted-hash.ts', world: 'engine-hosted-hash', runtime: 'qjs' },
  starlingmonkey: { entry: 'component.ts', world: 'engine', runtime: 'starlingmonkey' },
  // QuickJS's speed-optimised runtime: measured against the size-optimised default in bench/wasm.ts.
  'qjs-speed': { entry: 'component.ts', world: 'engine', runtime: 'qjs', optSize: false },
  // The shipped shape: QuickJS engine + kernel component (C -> wasm) composed into one
  // component that imports only `io` (wasm/compose.mjs).
  'qjs-kernels': { entry: 'component-kernels.ts', world: 'engine-kernels', runtime: 'qjs', kernels: true },
  // The shipped composition with SHA-256 borrowed from the host: the same world and kernels, but
  // the outer component imports `io` and `hash`, and the engine's `hash` calls go to the host
  // (wasm/compose.mjs); its entry hashes the output through that import instead of the
  // `apply-output` kernel. Node's SHA-256 uses the CPU's SHA instructions, which wasm cannot: on
  // layers of mostly unchanged bytes hashing is most of the component's apply.
  'qjs-kernels-hosted-hash': {
    entry: 'component-kernels-hosted-hash.ts',
    world: 'engine-kernels',
    runtime: 'qjs',
    kernels: true,
    hostedHash: true,
  },
  'qjs-hosted-hash-speed': {
    entry: 'component-hosted-hash.ts',
    world: 'engine-hosted-hash',
    runtime: 'qjs',
    optSize: false,
  },
};

export const componentPath = (engine = 'qjs') => join(out, `engine-${engine}.wasm`);

/**
 * componentize-qjs hands a WIT interface to JS as a default export; componentize-js
 * (StarlingMonkey) only as named exports. The source uses the default form; for StarlingMonkey
 * each WIT import goes through a one-line module that re-exports the namespace as default.
 */
const namedWitImports = {
  name: 'aloft-named-wit-imports',
  resolveId(id, importer) {
    if (!id.startsWith('aloft:engine/')) return null;
    if (importer?.startsWith('\0wit:')) return { id, external: true };
    return `\0wit:${id}`;
  },
  load(id) {
    if (!id.startsWith('\0wit:')) return null;
    return `import * as m from '${id.slice(5)}'; export default m;`;
  },
};

/** `cbor-x` (encoder and decoder) -> wasm/src/cbor-decode-only.ts: see that file for why. */
const decodeOnlyCbor = {
  name: 'aloft-decode-only-cbor',
  resolveId(id) {
    return id === 'cbor-x' ? join(root, 'wasm/src/cbor-decode-only.ts') : null;
  },
};

/**
 * qjs-kernels: delta/core/zstd's `./decoder.js` (the TypeScript block decoder) ->
 * wasm/src/zstd-decoder.ts, the same class shape over the C `zstd` kernel. The TS decoder (and its
 * FSE and Huffman modules) then leaves the bundle.
 */
const kernelZstd = {
  name: 'aloft-kernel-zstd',
  resolveId(id, importer) {
    if (id !== './decoder.js' || !importer) return null;
    return resolve(dirname(importer)) === join(root, 'delta/core/zstd')
      ? join(root, 'wasm/src/zstd-decoder.ts')
      : null;
  },
};

/**
 * qjs-kernels: delta/core/deflate's `./deflate.js`, `./inflate.js` and `./crc32.js` (gzip 1.x's
 * encoder with its trees and bit writer, the inflater, CRC-32) -> wasm/src/deflate-module.ts, the
 * same exports over the C `gzip-codec` kernel. The TypeScript codec then leaves the bundle.
 */
const DEFLATE_MODULES = new Set(['./deflate.js', './inflate.js', './crc32.js']);
const kernelDeflate = {
  name: 'aloft-kernel-deflate',
  resolveId(id, importer) {
    if (!DEFLATE_MODULES.has(id) || !importer) return null;
    return resolve(dirname(importer)) === join(root, 'delta/core/deflate')
      ? join(root, 'wasm/src/deflate-module.ts')
      : null;
  },
};

/** A plugin resolving `ids` imported from delta/core's folder `dir` to the wasm/src module `target`. */
const kernelModule = (name, ids, dir, target) => ({
  name,
  resolveId(id, importer) {
    if (!ids.includes(id) || !importer || resolve(dirname(importer)) !== join(root, dir)) return null;
    return join(root, target);
  },
});

/**
 * qjs-kernels: delta/core/tar's `./header-sum.js` (the header checksum's sum) ->
 * wasm/src/tar-header-sum.ts, the same function over the C `tar-header-sum` kernel.
 */
const kernelTarSum = kernelModule(
  'aloft-kernel-tar-sum',
  ['./header-sum.js'],
  'delta/core/tar',
  'wasm/src/tar-header-sum.ts',
);

/** qjs-kernels: delta/core/tar's `./walk-plain.js` -> wasm/src/tar-walk.ts, over the `tar-walk` kernel. */
const kernelTarWalk = kernelModule(
  'aloft-kernel-tar-walk',
  ['./walk-plain.js'],
  'delta/core/tar',
  'wasm/src/tar-walk.ts',
);

async function bundle(engine) {
  const { rolldown } = await import('rolldown');
  const bundler = await rolldown({
    input: join(root, 'wasm/src', VARIANTS[engine].entry),
    // Neutral: take the packages' browser/default builds (cbor-x/decode without Node's native
    // extension), never a node: module.
    platform: 'neutral',
    resolve: { conditionNames: ['import', 'default'], mainFields: ['module', 'main'] },
    treeshake: true,
    plugins: [
      decodeOnlyCbor,
      ...(VARIANTS[engine].kernels ? [kernelZstd, kernelDeflate, kernelTarSum, kernelTarWalk] : []),
      ...(VARIANTS[engine].runtime === 'starlingmonkey' ? [namedWitImports] : []),
    ],
    // WIT imports are provided by the component runtime, not bundled.
    external: VARIANTS[engine].runtime === 'starlingmonkey' ? [] : [/^aloft:engine\//],
    logLevel: 'warn',
  });
  // A private name: test workers may build at the same time, and must not read a half-written bundle.
  const file = join(out, `engine-${engine}.${randomUUID().slice(0, 8)}.tmp.js`);
  await bundler.write({ file, format: 'esm', minify: VARIANTS[engine].runtime === 'qjs', sourcemap: false });
  await bundler.close();
  return file;
}

async function componentize(engine, jsFile) {
  // QuickJS's "use strip" directive: functions keep no debug info (line tables; errors keep their
  // messages and codes). Everything the engine evaluates stays in the Wizer snapshot: ~3 KB less.
  const jsSource = `"use strip";\n${await readFile(jsFile, 'utf8')}`;
  const witPath = join(root, 'wasm/wit');
  const { world, runtime, optSize = true, kernels = false, hostedHash = false } = VARIANTS[engine];
  if (runtime === 'qjs') {
    const { componentize } = await import('componentize-qjs');
    const { component } = await componentize({
      witPath,
      world,
      jsSource,
      jsPath: jsFile,
      stubWasi: true,
      optSize,
      sync: true,
    });
    if (!kernels) return component;
    const { buildKernelComponent, compileKernelModules } = await import('./kernels.mjs');
    const { adaptEngine, composeEngine } = await import('./compose.mjs');
    return composeEngine(
      await adaptEngine(component, await compileKernelModules(), { hostedHash }),
      await buildKernelComponent(),
      { hostedHash },
    );
  }
  const { componentize } = await import('@bytecodealliance/componentize-js');
  const { component } = await componentize({
    sourcePath: jsFile,
    witPath,
    worldName: world,
    disableFeatures: ['random', 'stdio', 'clocks', 'http', 'fetch-event'],
  });
  return component;
}

/** Builds unless the stamp says the component is current. Returns the component's path. */
export async function buildComponent({ engine = 'qjs', force = false, log = () => {} } = {}) {
  await mkdir(out, { recursive: true });
  const target = componentPath(engine);
  const stampFile = `${target}.stamp`;
  const stamp = await inputStamp(engine);
  if (
    !force &&
    (await readFile(stampFile, 'utf8').catch(() => '')) === stamp &&
    (await stat(target).catch(() => null))
  )
    return target;
  const t0 = performance.now();
  const js = await bundle(engine);
  log(`bundled ${relative(root, js)} (${((await stat(js)).size / 1024).toFixed(0)} KiB)`);
  let component;
  try {
    component = await componentize(engine, js);
  } finally {
    await rename(js, join(out, `engine-${engine}.js`)).catch(() => {});
  }
  const tmp = `${target}.${randomUUID().slice(0, 8)}.tmp`;
  await writeFile(tmp, component);
  await rename(tmp, target);
  const stampTmp = `${stampFile}.${randomUUID().slice(0, 8)}`;
  await writeFile(stampTmp, stamp);
  await rename(stampTmp, stampFile);
  log(
    `built ${relative(root, target)}: ${(component.length / 1e6).toFixed(2)} MB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  return target;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--engine');
  const wanted = i >= 0 ? args[i + 1] : 'qjs-kernels';
  if (wanted !== 'all' && !(wanted in VARIANTS)) {
    process.stderr.write(
      `build:wasm: --engine must be ${Object.keys(VARIANTS).join(', ')} or all, not ${wanted}\n`,
    );
    process.exit(2);
  }
  for (const engine of wanted === 'all' ? Object.keys(VARIANTS) : [wanted]) {
    try {
      await buildComponent({
        engine,
        force: args.includes('--force'),
        log: (m) => process.stdout.write(`${m}\n`),
      });
    } catch (e) {
      await rm(`${componentPath(engine)}.stamp`, { force: true });
      process.stderr.write(`build:wasm: ${engine}: ${e instanceof Error ? e.message : e}\n`);
      process.exit(1);
    }
  }
}
