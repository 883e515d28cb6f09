// Composes the shipped engine component from two parts without wac or `wasm-tools compose`
// (neither is on this machine): the kernel component (wasm/kernels/kernel-types.c: the `hash`
// and `kernels` interfaces' types, functions that trap) and the QuickJS engine built in the
// `engine-kernels` world, which imports `io`, `hash` and `kernels`, with the real kernels (the
// core modules of wasm/kernels.mjs compileKernelModules: adapter.c's, zstd's) wired into its core
// by adaptEngine from the KERNEL_FUNCTIONS table. The outer component imports only `io`,
// instantiates the kernel component, hands its instances to the engine (which never calls them)
// and re-exports the engine's `policy` and `delta`.
//
// With `hostedHash` (the qjs-kernels-hosted-hash variant) the same engine keeps its `hash` import
// as componentize-qjs lowered it: the outer component also imports `hash` and hands that to the
// engine, so SHA-256 runs in the host (node:crypto uses the CPU's SHA instructions, ~3 x the C
// kernel's speed in wasm) while every other kernel stays inside.
//
// The outer component is written as component WAT and assembled by jco's `parse` with two empty
// nested components in place of the real ones; their sections are then replaced by the real
// binaries (a nested component section is a whole component binary, so this is a byte splice).
// Types are checked when the result is validated (jco transpile, or any component runtime).

/** The `io` interface's instance type, as `jco print` shows it for the engine. */
const IO_TYPE = `(instance
      (type (;0;) (enum "old" "patch"))
      (export (;1;) "blob" (type (eq 0)))
      (type (;2;) (list u8))
      (type (;3;) (func (param "blob" 1) (param "offset" u64) (param "length" u32) (result 2)))
      (export (;0;) "read" (func (type 3)))
      (type (;4;) (func (param "chunk" 2)))
      (export (;1;) "write" (func (type 4))))`;

/** The `hash` interface's instance type, as `jco print` shows it for the engine. */
const HASH_TYPE = `(instance
      (export (;0;) "sha256" (type (sub resource)))
      (type (;1;) (own 0))
      (type (;2;) (func (result 1)))
      (export (;0;) "[constructor]sha256" (func (type 2)))
      (type (;3;) (borrow 0))
      (type (;4;) (list u8))
      (type (;5;) (func (param "self" 3) (param "bytes" 4)))
      (export (;1;) "[method]sha256.update" (func (type 5)))
      (type (;6;) (func (param "self" 3) (result 4)))
      (export (;2;) "[method]sha256.digest" (func (type 6))))`;

const V = '@0.1.0';
/** The outer component; `hostedHash`: `hash` is imported and given to the engine in place of the kernels'. */
const outer = (hostedHash) => `(component
  (type $io-type ${IO_TYPE})
  (import "aloft:engine/io${V}" (instance $io (type $io-type)))
  ${
    hostedHash
      ? `(type $hash-type ${HASH_TYPE})
  (import "aloft:engine/hash${V}" (instance $hash (type $hash-type)))`
      : ''
  }
  (component $kernels)
  (component $engine)
  (instance $k (instantiate $kernels))
  ${hostedHash ? '' : `(alias export $k "aloft:engine/hash${V}" (instance $hash))`}
  (alias export $k "aloft:engine/kernels${V}" (instance $kern))
  (instance $e (instantiate $engine
    (with "aloft:engine/io${V}" (instance $io))
    (with "aloft:engine/hash${V}" (instance $hash))
    (with "aloft:engine/kernels${V}" (instance $kern))))
  (alias export $e "aloft:engine/policy${V}" (instance $policy))
  (alias export $e "aloft:engine/delta${V}" (instance $delta))
  (export "aloft:engine/policy${V}" (instance $policy))
  (export "aloft:engine/delta${V}" (instance $delta)))`;

const COMPONENT_SECTION = 4;
const PREAMBLE = 8;

function readLeb(bytes, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (b < 0x80) return { value, pos };
  }
}

function leb(n) {
  const out = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Uint8Array.from(out);
}

/** Replaces the payloads of the component sections of `outer`, in order, with `nested`. */
export function spliceComponents(outer, nested) {
  const parts = [outer.subarray(0, PREAMBLE)];
  let pos = PREAMBLE;
  let i = 0;
  while (pos < outer.length) {
    const id = outer[pos];
    const { value: size, pos: start } = readLeb(outer, pos + 1);
    const end = start + size;
    if (id === COMPONENT_SECTION) {
      if (i >= nested.length) throw new Error('compose: more nested components than binaries given');
      const body = nested[i++];
      parts.push(Uint8Array.of(id), leb(body.length), body);
    } else {
      parts.push(outer.subarray(pos, end));
    }
    pos = end;
  }
  if (i !== nested.length) throw new Error(`compose: ${nested.length} binaries for ${i} nested components`);
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * The shipped component: the kernels inside, the engine beside them, only `io` imported. With
 * `hostedHash`, `io` and `hash` imported and the engine's `hash` is the host's (the engine must
 * come from adaptEngine with the same option).
 */
export async function composeEngine(engine, kernels, { hostedHash = false } = {}) {
  const { parse } = await import('@bytecodealliance/jco');
  return spliceComponents(await parse(outer(hostedHash)), [kernels, engine]);
}

const HASH = 'aloft:engine/hash@0.1.0';
const KERNELS = 'aloft:engine/kernels@0.1.0';

/**
 * Every kernel function the engine imports, and the core module export that implements it on the
 * engine's memory: `func` is the name the canonical ABI gives it in its interface
 * (`[constructor]r`, `[method]r.m`, `[resource-drop]r`, or the function's own name); `module` is a
 * key of the modules given to adaptEngine (wasm/kernels.mjs compileKernelModules). A new kernel
 * function is one row here, plus its WIT, its C export (wasm/kernels) and its kernel-types.c
 * stub; the zstd rows (a module of its own) and the bspatch rows (the adapter) are worked examples.
 */
export const KERNEL_FUNCTIONS = [
  { iface: HASH, func: '[constructor]sha256', module: 'adapter', export: 'sha256-new' },
  { iface: HASH, func: '[method]sha256.update', module: 'adapter', export: 'sha256-update' },
  { iface: HASH, func: '[method]sha256.digest', module: 'adapter', export: 'sha256-digest' },
  { iface: HASH, func: '[resource-drop]sha256', module: 'adapter', export: 'sha256-drop' },
  { iface: KERNELS, func: 'tar-header-sum', module: 'adapter', export: 'tar-header-sum' },
  { iface: KERNELS, func: 'tar-walk', module: 'adapter', export: 'tar-walk' },
  { iface: KERNELS, func: '[constructor]zstd', module: 'zstd', export: 'zstd-new' },
  { iface: KERNELS, func: '[method]zstd.reset', module: 'zstd', export: 'zstd-reset' },
  { iface: KERNELS, func: '[method]zstd.block', module: 'zstd', export: 'zstd-block' },
  { iface: KERNELS, func: '[resource-drop]zstd', module: 'zstd', export: 'zstd-drop' },
  { iface: KERNELS, func: '[constructor]gzip-codec', module: 'adapter', export: 'gzip-codec-new' },
  { iface: KERNELS, func: '[method]gzip-codec.deflate', module: 'adapter', export: 'gzip-codec-deflate' },
  { iface: KERNELS, func: '[method]gzip-codec.inflate', module: 'adapter', export: 'gzip-codec-inflate' },
  { iface: KERNELS, func: '[method]gzip-codec.crc32', module: 'adapter', export: 'gzip-codec-crc32' },
  { iface: KERNELS, func: '[resource-drop]gzip-codec', module: 'adapter', export: 'gzip-codec-drop' },
  { iface: KERNELS, func: '[constructor]bspatch', module: 'adapter', export: 'bspatch-new' },
  { iface: KERNELS, func: '[method]bspatch.load', module: 'adapter', export: 'bspatch-load' },
  { iface: KERNELS, func: '[method]bspatch.feed-diff', module: 'adapter', export: 'bspatch-feed-diff' },
  { iface: KERNELS, func: '[method]bspatch.feed-extra', module: 'adapter', export: 'bspatch-feed-extra' },
  { iface: KERNELS, func: '[method]bspatch.feed-old', module: 'adapter', export: 'bspatch-feed-old' },
  { iface: KERNELS, func: '[method]bspatch.run', module: 'adapter', export: 'bspatch-run' },
  { iface: KERNELS, func: '[method]bspatch.next', module: 'adapter', export: 'bspatch-next' },
  { iface: KERNELS, func: '[resource-drop]bspatch', module: 'adapter', export: 'bspatch-drop' },
  { iface: KERNELS, func: '[constructor]apply-output', module: 'adapter', export: 'apply-output-new' },
  { iface: KERNELS, func: '[method]apply-output.start', module: 'adapter', export: 'apply-output-start' },
  { iface: KERNELS, func: '[method]apply-output.write', module: 'adapter', export: 'apply-output-write' },
  { iface: KERNELS, func: '[method]apply-output.copy', module: 'adapter', export: 'apply-output-copy' },
  {
    iface: KERNELS,
    func: '[method]apply-output.begin-file',
    module: 'adapter',
    export: 'apply-output-begin-file',
  },
  {
    iface: KERNELS,
    func: '[method]apply-output.file-digest',
    module: 'adapter',
    export: 'apply-output-file-digest',
  },
  { iface: KERNELS, func: '[method]apply-output.patch', module: 'adapter', export: 'apply-output-patch' },
  { iface: KERNELS, func: '[method]apply-output.finish', module: 'adapter', export: 'apply-output-finish' },
  { iface: KERNELS, func: '[resource-drop]apply-output', module: 'adapter', export: 'apply-output-drop' },
];

const IO = 'aloft:engine/io@0.1.0';

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A WAT identifier as `jco print` writes it: `$plain` or `$"with spaces"`. */
const ID = '(\\$"[^"]+"|\\$[^\\s()]+)';

function once(text, pattern, what) {
  const all = [...text.matchAll(new RegExp(pattern.source, `${pattern.flags.replace('g', '')}g`))];
  if (all.length !== 1)
    throw new Error(
      `compose: found ${all.length} ${what} in the engine, not one (componentize-qjs changed its layout?)`,
    );
  return all[0];
}

/**
 * Where the engine defines the core function it passes as `func` of `iface` to its main module:
 * the export of that name in the interface's core instance names it, and it is defined by one of
 * three forms, each a line of its own: a direct `canon lower` (no memory needed, e.g. a
 * constructor), a slot of wit-component's shim (functions with lists or a return area, filled in
 * later by its fixup module), or a `canon resource.drop`.
 */
function slotOf(wat, iface, func) {
  const instance = once(
    wat,
    new RegExp(`\\(core instance \\$${esc(iface)} \\(;\\d+;\\)\\n((?:[ \\t]+\\(export [^\\n]*\\n)+)`),
    `core instance of ${iface}`,
  );
  const id = once(
    instance[1],
    new RegExp(`\\(export "${esc(func)}" \\(func ${ID}\\)\\)`),
    `export ${func}`,
  )[1];
  const i = esc(id);
  const def = once(
    wat,
    new RegExp(
      `^([ \\t]*)\\((?:alias core export \\$wit-component-shim-instance "\\d+" \\(core func ${i} \\(;(\\d+);\\)\\)\\)|core func ${i}(?: \\(@name "[^"]*"\\))? \\(;(\\d+);\\) \\(canon (?:lower|resource\\.drop) [^\\n]*\\))$`,
      'm',
    ),
    `definition of ${iface} ${func}`,
  );
  return { id, text: def[0], at: def.index, index: def[2] ?? def[3], indent: def[1] };
}

/**
 * Rewires the engine's `hash` and `kernels` imports, inside its wit-component core wiring, to the
 * kernel modules (wasm/kernels.mjs: adapter.c, zstd-kernel.c, ...) instantiated on the engine's
 * own memory and allocator. Each lowered import's core-function slot (KERNEL_FUNCTIONS) is
 * redefined in place as an alias of a module's export (same index, so nothing else in the
 * component moves); the modules and their core instances are inserted before the first slot. The
 * component-level imports stay (their types are still declared) and are satisfied by the kernel
 * component in composeEngine. With `hostedHash` the `hash` rows are left as componentize-qjs
 * lowered them: those calls go out to the component's `hash` import.
 */
export async function adaptEngine(engine, modules, { hostedHash = false } = {}) {
  const { parse, print } = await import('@bytecodealliance/jco');
  let wat = await print(engine);
  const realloc = wat.match(
    new RegExp(`\\(alias core export \\$componentize_qjs_runtime\\.wasm "cabi_realloc" \\(core func ${ID}`),
  );
  if (!realloc) throw new Error("compose: the engine's runtime exports no cabi_realloc");
  const rows = hostedHash ? KERNEL_FUNCTIONS.filter((f) => f.iface !== HASH) : KERNEL_FUNCTIONS;
  const used = new Set(rows.map((f) => f.module));
  for (const name of used) if (!modules[name]) throw new Error(`compose: no kernel module ${name} given`);
  const slots = rows.map((f) => ({ ...f, ...slotOf(wat, f.iface, f.func) }));
  const first = Math.min(...slots.map((s) => s.at));
  // The kernels may call the engine's own lowered `io` (apply-output.c): the functions its main
  // module imports, defined (by wit-component's shim) before any kernel slot.
  const io = ['read', 'write'].map((func) => slotOf(wat, IO, func));
  if (io.some((s) => s.at > first))
    throw new Error("compose: the engine's io functions come after its kernel imports");
  // From the end backwards, so earlier positions stay valid.
  for (const s of [...slots].sort((a, b) => b.at - a.at))
    wat = `${wat.slice(0, s.at)}${s.indent}(alias core export $aloft-kernel-${s.module} "${s.export}" (core func ${s.id} (;${s.index};)))${wat.slice(s.at + s.text.length)}`;
  const parts = [];
  for (const name of used) {
    const text = (await print(modules[name])).replace(
      /^\(module/,
      `(core module $aloft-kernel-${name}-module`,
    );
    parts.push(
      text,
      `(core instance $aloft-kernel-${name} (instantiate $aloft-kernel-${name}-module (with "env" (instance $aloft-kernels-env))))`,
    );
  }
  const inserted = `(core instance $aloft-kernels-env
        (export "memory" (memory $memory))
        (export "cabi_realloc" (func ${realloc[1]}))
        (export "io-read" (func ${io[0].id}))
        (export "io-write" (func ${io[1].id})))
      ${parts.join('\n      ')}
      `;
  wat = `${wat.slice(0, first)}      ${inserted}${wat.slice(first)}`;
  return parse(wat);
}
