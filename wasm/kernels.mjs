// Builds the kernels (C under wasm/kernels) as core modules. The adapter (adapter.c + sha256.c):
// SHA-256 and bspatch's add as a bare module that runs on the QuickJS engine's memory, which
// wasm/compose.mjs wires in where the engine's `hash` and `kernels` imports were lowered. Kernels
// that need constant tables and a stack (zstd: zstd-kernel.c + zstd's own decoder) are built
// position-independent and rewritten to take them from one cabi_realloc block (shareMemory below),
// then wired the same way. The kernel component (kernel-types.c): functions of those interfaces'
// types that trap, wrapped by jco's wasm-tools as a component of the `kernel-set` world: the engine
// is instantiated with it, and never calls it. Toolchain: Debian's clang, lld, wasi-libc headers
// (scripts/packages/wasm.txt); binaryen (npm) for the rewrite. The README's wasm section says how
// the kernels are wired; compose.mjs's KERNEL_FUNCTIONS what a new kernel function needs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['kernel-types.c'];
/** The gzip codec (deflate-lowered.c: the `gzip-codec` resource's lowered functions). */
export const DEFLATE_SOURCES = [
  'deflate-lowered.c',
  'deflate.c',
  'deflate-trees.c',
  'deflate-crc32.c',
  'inflate.c',
];

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

/**
 * zstd's decoder, vendored by the zstd-napi package (version pinned by package-lock.json; zstd
 * 1.5.7 in zstd-napi 0.0.13): decompress only, no legacy formats, no assembly, no error strings,
 * Huffman X1 and the short sequence decoder only (-Oz: 62% of -O2's size at about its speed on
 * patch streams; bench/results/wasm.md "Next: a zstd kernel?").
 */
const ZSTD_LIB = '../../node_modules/zstd-napi/deps/zstd/lib';
const ZSTD_SOURCES = [
  'zstd-kernel.c',
  ...['entropy_common', 'error_private', 'fse_decompress', 'xxhash', 'zstd_common'].map(
    (f) => `${ZSTD_LIB}/common/${f}.c`,
  ),
  ...['huf_decompress', 'zstd_ddict', 'zstd_decompress', 'zstd_decompress_block'].map(
    (f) => `${ZSTD_LIB}/decompress/${f}.c`,
  ),
];
const ZSTD_DEFINES = [
  'HUF_FORCE_DECOMPRESS_X1',
  'ZSTD_FORCE_DECOMPRESS_SEQUENCES_SHORT',
  'ZSTD_STRIP_ERROR_STRINGS',
  'ZSTD_LEGACY_SUPPORT=0',
  'ZSTD_DISABLE_ASM',
  'ZSTD_TRACE=0',
  'ZSTD_MULTITHREAD=0',
  'NDEBUG',
  // zstd's API is linked in, not exported: only the kernel's own exports leave the module.
  'ZSTDLIB_VISIBLE=',
  'ZSTDERRORLIB_VISIBLE=',
];

/**
 * Position-independent code (data addressed from __memory_base, the stack from __stack_pointer),
 * which shareMemory turns into a module that owns no memory until its first call. The wasm32
 * triple ignores -fPIC in clang 14; the emscripten one honours it (no emscripten library is used).
 */
const PIC_FLAGS = [
  '--target=wasm32-unknown-emscripten',
  '-fPIC',
  '-fvisibility=hidden',
  '-nostdlib',
  '-isystem',
  '/usr/include/wasm32-wasi',
  '-mbulk-memory',
  '-msign-ext',
  ...CHECKS,
  '-Wl,--shared,--experimental-pic,--no-entry,--strip-all,--gc-sections',
];

const ZSTD_FLAGS = [
  ...PIC_FLAGS,
  '-Oz',
  ...ZSTD_DEFINES.map((d) => `-D${d}`),
  ...['', '/common', '/decompress'].map((d) => `-I${join(root, 'wasm/kernels', ZSTD_LIB)}${d}`),
];

/** The zstd kernel (zstd-kernel.c + zstd's decoder), ready to run on the engine's memory. */
export async function compileZstd() {
  return shareMemory(clang(ZSTD_FLAGS, ZSTD_SOURCES), {
    name: 'zstd',
    exports: ['zstd-new', 'zstd-reset', 'zstd-block', 'zstd-drop'],
  });
}

/**
 * A module that will share another's memory must not write anywhere it did not allocate. The
 * adapter (no `dataBytes`): no data segment and no stack at all. A shareMemory kernel: one passive
 * data segment of `dataBytes`, copied only by its init function into a block from cabi_realloc.
 */
async function assertSharesMemorySafely(bytes, { name = 'the adapter', dataBytes } = {}) {
  const mod = new WebAssembly.Module(bytes);
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`);
  // The adapter also calls the engine's own lowered `io` functions (apply-output.c).
  const want = ['env.memory:memory', 'env.cabi_realloc:function'];
  if (dataBytes === undefined) want.push('env.io-read:function', 'env.io-write:function');
  if (imports.sort().join() !== want.sort().join())
    throw new Error(`kernels: ${name} imports ${imports.join(', ')}; expected only ${want.join(', ')}`);
  const { print } = await import('@bytecodealliance/jco');
  const wat = await print(bytes);
  if (dataBytes === undefined) {
    // A data segment, or a stack (the linker's __stack_pointer global, in use), would claim bytes
    // of the engine's memory that its allocator hands out too.
    if (/\(data\b|global\.(get|set)\b/.test(wat))
      throw new Error('kernels: the adapter has data or uses a stack; it must own no memory (see adapter.c)');
    return;
  }
  const segments = wat.match(/\(data\b[^\n]*/g) ?? [];
  const active = segments.filter((d) => /\(data (\(;\d+;\) )?\((i32\.const|global\.get|offset)/.test(d));
  if (
    segments.length > 1 ||
    active.length > 0 ||
    (wat.match(/memory\.init/g) ?? []).length > (dataBytes ? 1 : 0)
  )
    throw new Error(`kernels: ${name} must have at most one passive data segment, copied once by its init`);
  if (/\(start\b/.test(wat)) throw new Error(`kernels: ${name} has a start function`);
}

/**
 * Rewrites a position-independent module (PIC_FLAGS) to run on the engine's memory: its data
 * (constant tables) and stack live in one block it takes from the engine's cabi_realloc the first
 * time it is called, so it writes nowhere the engine's allocator did not hand it.
 *
 * What clang 14 + wasm-ld emit, and what each becomes (binaryen's text, where every reference is
 * by name, so replacing an import by a definition of the same name moves nothing):
 * - env.__memory_base (global i32): a mutable global, 0 until the block is taken;
 * - env.__stack_pointer (mutable global): a global, set to the block's end (the stack grows down
 *   towards the data, so an overflow hits this module's own tables first);
 * - env.__table_base, env.__indirect_function_table: a global 0 and an empty table of its own
 *   (no function pointers are taken; a call_indirect reached would trap, see the checks);
 * - the one data segment, active at __memory_base: passive, copied by memory.init into the block;
 * - aloft.init (a function import the C code calls first thing, e.g. in its constructor): the
 *   function that takes the block (once);
 * - the start function (relocations, constructors): must be empty, and is dropped.
 * Anything else in the module's shape (another import, a second data segment, an element
 * segment, a start function with code, memory.grow) fails the build: a new clang that emits it
 * needs this rewrite reviewed, not silently applied.
 */
export async function shareMemory(pic, { name, exports, stackBytes = 8192 }) {
  const fail = (why) => {
    throw new Error(`kernels: ${name}: ${why} (wasm/kernels.mjs shareMemory: clang's PIC output changed?)`);
  };
  const mod = new WebAssembly.Module(pic);
  const imports = WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}:${i.kind}`);
  const allowed = [
    'env.memory:memory',
    'env.cabi_realloc:function',
    'aloft.init:function',
    'env.__memory_base:global',
    'env.__stack_pointer:global',
    'env.__table_base:global',
    'env.__indirect_function_table:table',
  ];
  for (const i of imports) if (!allowed.includes(i)) fail(`unexpected import ${i}`);
  for (const i of allowed.slice(0, 3)) if (!imports.includes(i)) fail(`no import ${i}`);
  const got = WebAssembly.Module.exports(mod)
    .map((e) => e.name)
    .sort();
  if (got.join() !== [...exports].sort().join())
    fail(`exports ${got.join(', ')}; expected ${exports.join(', ')}`);

  const { default: binaryen } = await import('binaryen');
  const input = binaryen.readBinary(pic);
  let wat = input.emitText();
  input.dispose();
  const importOf = (mod, base, kind) => {
    const m = wat.match(new RegExp(`^ \\(import "${mod}" "${base}" \\(${kind} (\\$\\S+)(.*)\\)\\)$`, 'm'));
    return m && { line: m[0], id: m[1], rest: m[2] };
  };
  const drop = (line) => {
    wat = wat.replace(`${line}\n`, '');
  };
  const defs = [];
  const memoryBase = importOf('env', '__memory_base', 'global');
  const stackPointer = importOf('env', '__stack_pointer', 'global');
  const tableBase = importOf('env', '__table_base', 'global');
  const table = importOf('env', '__indirect_function_table', 'table');
  const init = importOf('aloft', 'init', 'func');
  const realloc = importOf('env', 'cabi_realloc', 'func');
  if (!init || !realloc) fail('no aloft.init or cabi_realloc import in the text');
  if (memoryBase) {
    if (memoryBase.rest !== ' i32') fail(`__memory_base is ${memoryBase.rest}`);
    drop(memoryBase.line);
  }
  // Always defined: the init function records the block in it.
  const base = memoryBase?.id ?? '$aloft_memory_base';
  defs.push(`(global ${base} (mut i32) (i32.const 0))`);
  if (stackPointer) {
    if (stackPointer.rest !== ' (mut i32)') fail(`__stack_pointer is ${stackPointer.rest}`);
    drop(stackPointer.line);
    defs.push(`(global ${stackPointer.id} (mut i32) (i32.const 0))`);
  }
  if (tableBase) {
    drop(tableBase.line);
    defs.push(`(global ${tableBase.id} i32 (i32.const 0))`);
  }
  if (table) {
    if (!/^ 0 funcref$/.test(table.rest)) fail(`its table is ${table.rest.trim()}, not empty`);
    drop(table.line);
    defs.push(`(table ${table.id} 0 funcref)`);
  }
  if (/^ \(elem /m.test(wat)) fail('it has an element segment (function pointers)');
  if (/\bmemory\.(grow|size)\b/.test(wat)) fail('it grows or sizes the memory');
  const segments = wat.match(/^ \(data .*$/gm) ?? [];
  if (segments.length > 1) fail(`${segments.length} data segments`);
  let dataBytes = 0;
  let dataId = '';
  if (segments.length === 1) {
    const m = segments[0].match(/^ \(data (\$\S+) \(global\.get (\$\S+)\) "/);
    if (!m || m[2] !== memoryBase?.id) fail('its data segment is not placed at __memory_base');
    dataId = m[1];
    wat = wat.replace(m[0], ` (data ${dataId} "`);
    dataBytes = passiveLength(pic);
  }
  const start = wat.match(/^ \(start (\$\S+)\)$/m);
  if (start) {
    const empty = new RegExp(`^ \\(func ${start[1].replace(/\$/g, '\\$')}\n \\)$`, 'm');
    if (!empty.test(wat)) fail('its start function has code (data relocations or constructors)');
    drop(start[0]);
  }
  const dataRoom = (dataBytes + 15) & ~15;
  const total = dataRoom + stackBytes;
  const copy = dataId
    ? `(memory.init ${dataId} (local.get $block) (i32.const 0) (i32.const ${dataBytes}))
    (data.drop ${dataId})`
    : '';
  defs.push(`(func ${init.id}
  (local $block i32)
  (if (i32.eqz (global.get ${base}))
   (then
    (local.set $block (call ${realloc.id} (i32.const 0) (i32.const 0) (i32.const 16) (i32.const ${total})))
    ${copy}
    ${stackPointer ? `(global.set ${stackPointer.id} (i32.add (local.get $block) (i32.const ${total})))` : ''}
    (global.set ${base} (local.get $block)))))`);
  drop(init.line);
  // Definitions go after the last import (the text format wants imports first).
  const lines = wat.split('\n');
  const last = lines.findLastIndex((l) => l.startsWith(' (import '));
  lines.splice(last + 1, 0, ...defs.map((d) => ` ${d}`));
  const out = binaryen.parseText(lines.join('\n'));
  try {
    const F = binaryen.Features;
    out.setFeatures(F.MVP | F.BulkMemory | F.BulkMemoryOpt | F.SignExt | F.MutableGlobals);
    if (!out.validate()) fail('the rewritten module does not validate');
    const bytes = out.emitBinary();
    await assertSharesMemorySafely(bytes, { name, dataBytes });
    return bytes;
  } finally {
    out.dispose();
  }
}

/** The length of the module's one data segment's bytes (from its binary data section). */
function passiveLength(bytes) {
  let p = 8;
  const leb = () => {
    let v = 0;
    let shift = 0;
    let c;
    do {
      c = bytes[p++];
      v += (c & 127) * 2 ** shift;
      shift += 7;
    } while (c & 128);
    return v;
  };
  while (p < bytes.length) {
    const id = bytes[p++];
    const size = leb();
    const end = p + size;
    if (id === 11) {
      if (leb() !== 1) break;
      const flags = leb();
      // flags 0: an offset expression (global.get N; end) precedes the bytes.
      if (flags !== 0) break;
      while (bytes[p] !== 0x0b) p++;
      p++;
      return leb();
    }
    p = end;
  }
  throw new Error('kernels: no data segment to measure');
}

/** The in-engine adapter's core module (adapter.c + sha256.c + the gzip codec). */
export async function compileAdapter() {
  const bytes = clang(ADAPTER_FLAGS, [
    'adapter.c',
    'sha256.c',
    'bspatch.c',
    'tar-sum.c',
    'tar-walk.c',
    'apply-output.c',
    ...DEFLATE_SOURCES,
  ]);
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

/**
 * Every module wasm/compose.mjs wires into the engine, by the name its KERNEL_FUNCTIONS rows use.
 * A new kernel module is one entry here.
 */
export async function compileKernelModules() {
  return { adapter: await compileAdapter(), zstd: await compileZstd() };
}
