// Builds the kernels (C under wasm/kernels) as two core modules. The adapter (adapter.c +
// sha256.c): SHA-256 and bspatch's add as a bare module that runs on the QuickJS engine's memory,
// which wasm/compose.mjs wires in where the engine's `hash` and `kernels` imports were lowered.
// The kernel component (kernel-types.c): functions of those interfaces' types that trap, wrapped by
// jco's wasm-tools as a component of the `kernel-set` world: the engine is instantiated with it,
// and never calls it. Toolchain: Debian's clang, lld, wasi-libc headers (scripts/packages/wasm.txt).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['kernel-types.c'];

/**
 * The flags are part of the build's inputs: wasm/build.mjs hashes this file into its stamp.
 * SIMD (wasm's v128, a standard feature every current engine runs) computes SHA-256's message
 * schedule four words at a time: ~40% more hashing throughput in V8.
 */
const COMMON = [
  '-isystem',
  '/usr/include/wasm32-wasi',
  '-O3',
  '-flto',
  '-mbulk-memory',
  '-msign-ext',
  '-msimd128',
];
const CHECKS = ['-Wall', '-Werror'];
const LINK = ['-Wl,--no-entry', '-Wl,--strip-all', '-Wl,--gc-sections'];

/** The kernel component's module: nothing but the exports' signatures, its own memory. */
const CFLAGS = ['--target=wasm32', '-nostdlib', ...COMMON, ...CHECKS, ...LINK];

/**
 * The adapter (adapter.c) runs on the engine's own memory: no libc, the memory imported, and no
 * data segment or stack of its own, which assertSharesMemorySafely checks on the result.
 */
const ADAPTER_FLAGS = ['--target=wasm32', '-nostdlib', ...COMMON, ...CHECKS, ...LINK, '-Wl,--import-memory'];

function clang(flags, sources) {
  const dir = mkdtempSync(join(tmpdir(), 'aloft-kernels-'));
  const out = join(dir, 'out.wasm');
  try {
    execFileSync('clang', [...flags, '-o', out, ...sources.map((s) => join(root, 'wasm/kernels', s))], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // clang runs any `wasm-opt` on PATH after linking, without our feature flags; npm scripts put
      // node_modules/.bin (binaryen's wasm-opt) first. The output must not depend on that.
      env: {
        ...process.env,
        PATH: (process.env.PATH ?? '')
          .split(delimiter)
          .filter((d) => !d.includes('node_modules'))
          .join(delimiter),
      },
    });
    return readFileSync(out);
  } catch (e) {
    const why =
      e.code === 'ENOENT' ? 'clang is not installed (scripts/packages/wasm.txt)' : String(e.stderr ?? e);
    throw new Error(`kernels: ${why}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `clang --version`'s first line, or 'missing' (the build then fails with a clear message). */
export function clangVersion() {
  try {
    return execFileSync('clang', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return 'missing';
  }
}

/** Core module of the kernel component (types only: every function traps). */
export const compileKernels = () => clang(CFLAGS, SOURCES);

/** A module that will share another's memory must not write anywhere it did not allocate. */
async function assertSharesMemorySafely(bytes) {
  const mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`);
  const want = ['env.memory:memory', 'env.cabi_realloc:function'];
  if (imports.sort().join() !== want.sort().join())
    throw new Error(`kernels: the adapter imports ${imports.join(', ')}; expected only ${want.join(', ')}`);
  // A data segment, or a stack (the linker's __stack_pointer global, in use), would claim bytes
  // of the engine's memory that its allocator hands out too.
  const { print } = await import('@bytecodealliance/jco');
  const wat = await print(bytes);
  if (/\(data\b|global\.(get|set)\b/.test(wat))
    throw new Error('kernels: the adapter has data or uses a stack; it must own no memory (see adapter.c)');
}

/** The in-engine adapter's core module (adapter.c + sha256.c). */
export async function compileAdapter() {
  const bytes = clang(ADAPTER_FLAGS, ['adapter.c', 'sha256.c']);
  await assertSharesMemorySafely(bytes);
  return bytes;
}

/** The kernel component: exports `hash` and `kernels`, imports nothing. */
export async function buildKernelComponent() {
  const { componentEmbed, componentNew } = await import('@bytecodealliance/jco');
  const embedded = await componentEmbed({
    binary: compileKernels(),
    // jco's wasm-tools runs sandboxed: hand it the WIT text, not a path.
    witSource: readFileSync(join(root, 'wasm/wit/aloft.wit'), 'utf8'),
    world: 'kernel-set',
  });
  return componentNew(embedded);
}
