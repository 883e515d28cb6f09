// Host glue for tests and benchmarks: build the component if its inputs changed (cached in
// wasm/build), transpile it with `jco transpile` to core wasm + JS, and instantiate it in
// Node. What comes back is typed like the Node path so one test body can run against both.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { projectRoot } from '../sdk/project-root.js';
import type * as Build from './build.mjs';
import { GLUE_PATCHES, patchGlue } from './jco-glue.js';

export type EngineKind = Build.EngineKind;

// The build script is plain ESM beside the sources; loaded by path so that this file also works
// when compiled into dist/ (benchmarks), where no copy of build.mjs exists.
const build = (): Promise<typeof Build> => import(pathToFileURL(join(projectRoot(), 'wasm/build.mjs')).href);

// The project's lib (ES2023, no DOM) leaves out the WebAssembly namespace Node provides.
interface CoreInstance {
  exports: Record<string, unknown>;
}
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<unknown>;
  instantiate(module: unknown, imports?: unknown): Promise<CoreInstance>;
};

// QuickJS's runtime is built position-independent: its data segments use extended constant
// expressions (`global.get $base; i32.const; i32.add`), standard in V8 since Node 22 and
// behind this flag in Node 20. It must be set before the first WebAssembly.compile.
setFlagsFromString('--experimental-wasm-extended-const');

/** What the component's `io` import reads from and writes to during one call. */
export interface IoBinding {
  old?: { read(offset: number, length: number): Uint8Array };
  patch?: { read(offset: number, length: number): Uint8Array };
  /** Gets a view into the component's memory, valid only during the call: copy what you keep. */
  sink?: (chunk: Uint8Array) => void;
}

export interface LoadedComponent {
  readonly engine: EngineKind;
  readonly wasmPath: string;
  readonly wasmBytes: number;
  /** What the component imports (for the QuickJS build: nothing at all). */
  readonly imports: readonly string[];
  /** The host imports called without jco's task bookkeeping (wasm/jco-glue.ts), as `iface#func`. */
  readonly leanImports: readonly string[];
  /** The interfaces the component exports, by short name ('policy', 'delta'). */
  readonly exports: Record<string, Record<string, (...args: never[]) => unknown>>;
  /** Wall time of transpile (cached after the first run) and of compile + instantiate. */
  readonly timings: { transpileMs: number; instantiateMs: number };
  /** Set before a delta call, cleared after: the component's `io` import serves from it. */
  readonly io: IoBinding;
  /** Bytes of linear memory the component's core instances hold now (wasm memory never shrinks). */
  memoryBytes(): number;
}

function ioImport(binding: IoBinding) {
  const blob = (which: string) => {
    const b = which === 'old' ? binding.old : binding.patch;
    if (!b) throw new Error(`the component read blob '${which}' outside a delta call`);
    return b;
  };
  return {
    // u64 offsets arrive as BigInt from jco's bindings.
    read: (which: string, offset: bigint, length: number) => blob(which).read(Number(offset), length),
    write: (chunk: Uint8Array) => {
      if (!binding.sink) throw new Error('the component wrote output outside a delta call');
      binding.sink(chunk);
    },
  };
}

async function transpileOnce(
  wasmPath: string,
  engine: EngineKind,
): Promise<{ dir: string; ms: number; imports: string[]; leanImports: string[] }> {
  // The glue patches are part of what a cached transpilation is.
  const stamp = createHash('sha256')
    .update(await (await build()).inputStamp(engine))
    .update(GLUE_PATCHES)
    .digest('hex')
    .slice(0, 16);
  const dir = join(wasmPath, '..', `transpiled-${engine}-${stamp}`);
  const t0 = performance.now();
  if (!(await stat(join(dir, 'imports.json')).catch(() => null))) {
    // jco itself is large (it runs wasm-tools as a component): load it only when transpiling.
    const { transpile } = await import('@bytecodealliance/jco');
    const { files, imports } = await transpile(await readFile(wasmPath), {
      name: 'engine',
      // We instantiate it ourselves, to hand it the `io` import (and, for StarlingMonkey, WASI).
      instantiation: 'async',
      noTypescript: true,
      quiet: true,
    });
    const tmp = `${dir}.${process.pid}.tmp`;
    await rm(tmp, { recursive: true, force: true });
    const leanImports: string[] = [];
    for (const [name, bytes] of Object.entries(files)) {
      await mkdir(join(tmp, name, '..'), { recursive: true });
      if (!name.endsWith('.js')) {
        await writeFile(join(tmp, name), bytes);
        continue;
      }
      const patched = patchGlue(bytes);
      leanImports.push(...patched.lean);
      await writeFile(join(tmp, name), patched.bytes);
    }
    await writeFile(join(tmp, 'glue.json'), JSON.stringify({ leanImports }));
    await writeFile(join(tmp, 'imports.json'), JSON.stringify(imports));
    await rename(tmp, dir).catch(async (e) => {
      // Another worker got there first: theirs is as good as ours.
      if (!(await stat(join(dir, 'imports.json')).catch(() => null))) throw e;
      await rm(tmp, { recursive: true, force: true });
    });
    // Older transpilations of this engine are stale: their inputs changed.
    const parent = join(dir, '..');
    const prefix = `transpiled-${engine}-`;
    for (const name of await readdir(parent))
      if (
        name.startsWith(prefix) &&
        /^[0-9a-f]{16}$/.test(name.slice(prefix.length)) &&
        join(parent, name) !== dir
      )
        await rm(join(parent, name), { recursive: true, force: true });
  }
  const imports = JSON.parse(await readFile(join(dir, 'imports.json'), 'utf8')) as string[];
  const { leanImports } = JSON.parse(await readFile(join(dir, 'glue.json'), 'utf8')) as {
    leanImports: string[];
  };
  return { dir, ms: performance.now() - t0, imports, leanImports };
}

/**
 * The `hash` import (engine-hosted-hash, qjs-kernels-hosted-hash): node:crypto behind the WIT
 * resource. A digest starts the context over (the WIT's contract): the kernels engine pools its
 * contexts and reuses them after a digest.
 */
class HostSha256 {
  private h = createHash('sha256');
  update(bytes: Uint8Array): void {
    this.h.update(bytes);
  }
  digest(): Uint8Array {
    const d = new Uint8Array(this.h.digest());
    this.h = createHash('sha256');
    return d;
  }
}

/** The variants whose component imports `hash` from the host. */
const HOSTED_HASH: readonly EngineKind[] = [
  'qjs-hosted-hash',
  'qjs-hosted-hash-speed',
  'qjs-kernels-hosted-hash',
];

/** StarlingMonkey's WASI imports, from jco's Node shim, keyed the way `instantiate` wants them. */
async function wasiImports(): Promise<Record<string, unknown>> {
  const shim = (await import('@bytecodealliance/preview2-shim')) as Record<string, Record<string, unknown>>;
  const out: Record<string, unknown> = {};
  for (const [pkg, ifaces] of Object.entries(shim))
    for (const [iface, impl] of Object.entries(ifaces))
      out[`wasi:${pkg}/${iface.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`] = impl;
  return out;
}

const interfaceName = (key: string) => key.replace(/^aloft:engine\//, '').replace(/@.*$/, '');

/** Builds (if needed), transpiles (if needed) and instantiates the component. */
export async function loadComponent(engine: EngineKind = 'qjs'): Promise<LoadedComponent> {
  const wasmPath = await (await build()).buildComponent({ engine });
  const {
    dir,
    ms: transpileMs,
    imports: componentImports,
    leanImports,
  } = await transpileOnce(wasmPath, engine);
  const t0 = performance.now();
  const mod = await import(pathToFileURL(join(dir, 'engine.js')).href);
  const io: IoBinding = {};
  const imports: Record<string, unknown> = { 'aloft:engine/io': ioImport(io) };
  if (HOSTED_HASH.includes(engine)) imports['aloft:engine/hash'] = { Sha256: HostSha256 };
  if (engine === 'starlingmonkey') Object.assign(imports, await wasiImports());
  // Every core instance's exported memory, for memoryBytes().
  const memories: { buffer: ArrayBuffer }[] = [];
  const raw: Record<string, unknown> = await mod.instantiate(
    async (name: string) => WebAssembly.compile(await readFile(join(dir, name))),
    imports,
    async (module: unknown, coreImports?: unknown) => {
      const instance = await WebAssembly.instantiate(module, coreImports);
      for (const value of Object.values(instance.exports))
        if (value && typeof value === 'object' && 'buffer' in value && 'grow' in value)
          memories.push(value as { buffer: ArrayBuffer });
      return instance;
    },
  );
  const instantiateMs = performance.now() - t0;
  const exports: LoadedComponent['exports'] = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value && typeof value === 'object')
      exports[interfaceName(key)] = value as Record<string, (...args: never[]) => unknown>;
  }
  return {
    engine,
    wasmPath,
    wasmBytes: (await stat(wasmPath)).size,
    imports: componentImports,
    leanImports,
    exports,
    timings: { transpileMs, instantiateMs },
    io,
    memoryBytes: () => memories.reduce((n, m) => n + m.buffer.byteLength, 0),
  };
}
