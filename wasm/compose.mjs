// Composes the shipped engine component from two parts without wac or `wasm-tools compose`
// (neither is on this machine): the kernel component (wasm/kernels/kernel-types.c: the `hash`
// and `kernels` interfaces' types, functions that trap) and the QuickJS engine built in the
// `engine-kernels` world, which imports `io`, `hash` and `kernels`, with the real kernels
// (adapter.c) wired into its core by adaptEngine. The outer component imports only `io`,
// instantiates the kernel component, hands its instances to the engine (which never calls them)
// and re-exports the engine's `policy` and `delta`.
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

const V = '@0.1.0';
const OUTER = `(component
  (type $io-type ${IO_TYPE})
  (import "aloft:engine/io${V}" (instance $io (type $io-type)))
  (component $kernels)
  (component $engine)
  (instance $k (instantiate $kernels))
  (alias export $k "aloft:engine/hash${V}" (instance $hash))
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

/** The shipped component: the kernels inside, the engine beside them, only `io` imported. */
export async function composeEngine(engine, kernels) {
  const { parse } = await import('@bytecodealliance/jco');
  const outer = await parse(OUTER);
  return spliceComponents(outer, [kernels, engine]);
}

const HASH = 'aloft:engine/hash@0.1.0';
const KERNELS = 'aloft:engine/kernels@0.1.0';
const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A WAT identifier as `jco print` writes it: `$plain` or `$"with spaces"`. */
const ID = '(\\$"[^"]+"|\\$[^\\s()]+)';

function replaceOnce(text, pattern, replace, what) {
  const found = text.match(pattern);
  if (!found || text.match(new RegExp(pattern.source, 'g')).length !== 1)
    throw new Error(
      `compose: cannot find exactly one ${what} in the engine (componentize-qjs changed its layout?)`,
    );
  return text.replace(pattern, replace);
}

/**
 * Rewires the engine's `hash` and `kernels` imports, inside its wit-component core wiring, to
 * the adapter module (wasm/kernels/adapter.c) instantiated on the engine's own memory and
 * allocator. Each lowered import's core-function slot is redefined in place as an alias of the
 * adapter's export (same index, so nothing else in the component moves); the adapter's module
 * and two core instances are inserted before the first use. The component-level imports stay
 * (their types are still declared) and are satisfied by the kernel component in composeEngine.
 */
export async function adaptEngine(engine, adapter) {
  const { parse, print } = await import('@bytecodealliance/jco');
  let wat = await print(engine);
  const moduleText = (await print(adapter)).replace(/^\(module/, '(core module $aloft-kernels-module');
  const realloc = wat.match(
    new RegExp(`\\(alias core export \\$componentize_qjs_runtime\\.wasm "cabi_realloc" \\(core func ${ID}`),
  );
  if (!realloc) throw new Error("compose: the engine's runtime exports no cabi_realloc");
  const alias = (exp, id, index) =>
    `(alias core export $aloft-kernels "${exp}" (core func ${id} (;${index};)))`;
  // [constructor]sha256 is lowered directly (no memory needed): a canon lower to replace.
  wat = replaceOnce(
    wat,
    /\(core func (\$"\[constructor\]sha256") \(;(\d+);\) \(canon lower \(func \$"\[constructor\]sha256"\)\)\)/,
    (_, id, n) => alias('sha256-new', id, n),
    'lowered sha256 constructor',
  );
  // Methods and functions with lists go through the shim's indirect table: alias the slot instead.
  for (const [name, exp] of [
    [`${HASH}-[method]sha256.update`, 'sha256-update'],
    [`${HASH}-[method]sha256.digest`, 'sha256-digest'],
    [`${KERNELS}-add-bytes`, 'add-bytes'],
  ]) {
    const id = name.includes('[') ? `\\$"indirect-${esc(name)}"` : `\\$indirect-${esc(name)}`;
    wat = replaceOnce(
      wat,
      new RegExp(
        `\\(alias core export \\$wit-component-shim-instance "\\d+" \\(core func (${id}) \\(;(\\d+);\\)\\)\\)`,
      ),
      (_, i, n) => alias(exp, i, n),
      `shim slot of ${name}`,
    );
  }
  wat = replaceOnce(
    wat,
    new RegExp(
      `\\(core func ${ID}(?: \\(@name "[^"]*"\\))? \\(;(\\d+);\\) \\(canon resource\\.drop \\$sha256\\)\\)`,
    ),
    (_, id, n) => alias('sha256-drop', id, n),
    'sha256 resource.drop',
  );
  const anchor = `(alias export $${HASH} "[constructor]sha256"`;
  const at = wat.indexOf(anchor);
  if (at < 0 || wat.indexOf(anchor, at + 1) >= 0)
    throw new Error('compose: no unique hash import alias to anchor on');
  const inserted = `${moduleText}
      (core instance $aloft-kernels-env
        (export "memory" (memory $memory))
        (export "cabi_realloc" (func ${realloc[1]})))
      (core instance $aloft-kernels (instantiate $aloft-kernels-module (with "env" (instance $aloft-kernels-env))))
      `;
  wat = wat.slice(0, at) + inserted + wat.slice(at);
  return parse(wat);
}
