// Patches to the JS glue `jco transpile` (1.35) writes for the engine component, applied by
// host.ts before the glue is first loaded. Each is a textual rewrite of one shape of jco's output;
// a shape that is not found is left as jco wrote it (same behaviour, only slower), and
// `patchGlue` says which lean imports it could install so tests notice a jco that changed shape.

/**
 * jco's glue asks `process.env.JCO_DEBUG` on every debug-log call, several per component call; in
 * Node each ask is a getenv, which made a call cost ~80 µs instead of ~10 µs. Asked once, when the
 * module loads, instead. Same behaviour: the variable is still honoured.
 */
const DEBUG_CHECK = 'if (!globalThis?.process?.env?.JCO_DEBUG) { return; }';

/**
 * jco lifts `io.write`'s chunk with `memory.buffer.slice(...)`: a fresh ArrayBuffer per chunk,
 * which in Node cost more than all of the component's own work (allocation and the GC it
 * drives, ~7 ms per MiB here). The sink gets a view of the component's memory instead, valid for
 * the call, as delta/core's own sinks do (IoBinding.sink). The same for a host `hash`'s update
 * (host.ts's HostSha256 hashes the bytes before it returns): every output byte passes there.
 */
const WRITE_LIFT =
  /var (result\d+) = new Uint8Array\((memory\d+)\.buffer\.slice\((ptr\d+), \3 \+ (len\d+) \* 1\)\);(\s*_debugLog\('\[iface="aloft:engine\/(?:io@0\.1\.0", function="write"|hash@0\.1\.0", function="\[method\]sha256\.update")\])/g;

const IO = 'aloft:engine/io@0.1.0';
const HASH = 'aloft:engine/hash@0.1.0';

/**
 * The host imports the engine calls per apply (io.read, io.write; the hosted-hash variants'
 * sha256 update and digest), each called synchronously and never re-entering the component. jco
 * wraps every host import in its async-task bookkeeping (a task and a subtask made, entered,
 * resolved and exited per call: ~10 µs, measured with --cpu-prof), which for the 3 MB layer was
 * ~1.5 ms of an ~8 ms apply. The lean call does what the canonical ABI asks and nothing else:
 * lift the arguments, call the host function, lower the result with the component's realloc.
 * A host error still propagates as before; a wasm trap still marks the instance trapped (in the
 * export's glue, which this leaves alone). With JCO_DEBUG set, jco's own trampolines run.
 *
 * Each entry: the import (as jco names its trampoline), the captures it needs from jco's own
 * trampoline body (checked to be one shape), and the lean function made from them.
 */
interface LeanImport {
  readonly name: string;
  readonly captures: Record<string, RegExp>;
  readonly lean: (c: Record<string, string>) => string;
}

const RESOURCE =
  /var rep2 = (handleTable\d+)\[\(handle1 << 1\) \+ 1\] & ~T_FLAG;\s*var rsc0 = (captureTable\d+)\.get\(rep2\);/;
const LOWER_LIST = (n: number) =>
  new RegExp(
    `var ptr${n} = (realloc\\d+)\\(0, 0, 1, len${n} \\* 1\\);[\\s\\S]*new Uint8Array\\((memory\\d+)\\.buffer, ptr${n}, valLenBytes${n}\\)`,
  );

/** Lowers `v` (bytes) as a list<u8> result at `ret` (pointer, length). */
const lowerBytes = (realloc: string, memory: string) => `
    const bytes = v instanceof Uint8Array ? v : new Uint8Array(v.buffer ?? v, v.byteOffset ?? 0, v.byteLength);
    const n = bytes.byteLength;
    const p = ${realloc}(0, 0, 1, n);
    new Uint8Array(${memory}.buffer, p, n).set(bytes);
    const dv = new DataView(${memory}.buffer);
    dv.setUint32(ret + 4, n, true);
    dv.setUint32(ret, p, true);`;

const LEAN_IMPORTS: readonly LeanImport[] = [
  {
    name: `${IO}#read`,
    captures: {
      order: /case 0: \{\s*enum0 = '(old)';\s*break;\s*\}\s*case 1: \{\s*enum0 = 'patch';/,
      fn: /_trackHostOperation\(\(\) => (\w+)\(enum0, BigInt\.asUintN\(64, BigInt\(arg1\)\), arg2 >>> 0\)\)/,
      lower: LOWER_LIST(1),
    },
    lean: (c) => `function (blob, offset, length, ret) {
    if (blob !== 0 && blob !== 1) throw new TypeError('invalid discriminant specified for Blob');
    const v = ${c.fn}(blob === 0 ? 'old' : 'patch', BigInt.asUintN(64, BigInt(offset)), length >>> 0);${lowerBytes(c.lower0, c.lower1)}
  }`,
  },
  {
    name: `${IO}#write`,
    captures: {
      lift: /var result0 = new Uint8Array\((memory\d+)\.buffer, ptr0, len0\);/,
      fn: /_trackHostOperation\(\(\) => (\w+)\(result0\)\)/,
    },
    lean: (c) => `function (ptr, len) {
    ${c.fn}(new Uint8Array(${c.lift}.buffer, ptr, len));
  }`,
  },
  {
    name: `${HASH}#update`,
    captures: {
      rsc: RESOURCE,
      lift: /var result3 = new Uint8Array\((memory\d+)\.buffer, ptr3, len3\);/,
      call: /_trackHostOperation\(\(\) => rsc0\.(update)\(result3\)\)/,
    },
    lean: (c) => `function (handle, ptr, len) {
    const rsc = ${c.rsc1}.get(${c.rsc0}[(handle << 1) + 1] & ~T_FLAG);
    if (!rsc) throw new TypeError('sha256.update: not a context the host made');
    rsc.update(new Uint8Array(${c.lift}.buffer, ptr, len));
  }`,
  },
  {
    name: `${HASH}#digest`,
    captures: {
      rsc: RESOURCE,
      call: /ret = _withGlobalCurrentTaskMeta\(\{[^}]*fn: \(\) => _trackHostOperation\(\(\) => rsc0\.(digest)\(\)\)/,
      lower: LOWER_LIST(3),
    },
    lean: (c) => `function (handle, ret) {
    const rsc = ${c.rsc1}.get(${c.rsc0}[(handle << 1) + 1] & ~T_FLAG);
    if (!rsc) throw new TypeError('sha256.digest: not a context the host made');
    const v = rsc.digest();${lowerBytes(c.lower0, c.lower1)}
  }`,
  },
];

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Installs LEAN_IMPORTS[i] if jco's glue has the expected shape; returns the glue and whether it did. */
function installLean(js: string, imp: LeanImport): { js: string; ok: boolean } {
  const named = [...js.matchAll(new RegExp(`\\n  (_trampoline\\d+)\\.fnName = '${esc(imp.name)}';\\n`, 'g'))];
  if (named.length !== 1) return { js, ok: false };
  const fn = named[0][1];
  const start = js.lastIndexOf(`const ${fn} = function(`, named[0].index);
  if (start < 0) return { js, ok: false };
  const body = js.slice(start, named[0].index);
  const c: Record<string, string> = {};
  for (const [key, re] of Object.entries(imp.captures)) {
    const m = body.match(re);
    if (!m) return { js, ok: false };
    if (m.length === 2) c[key] = m[1];
    else for (let i = 1; i < m.length; i++) c[`${key}${i - 1}`] = m[i];
  }
  const registered = `Object.assign(${fn.slice(1)}, { _jcoMaySuspend: false })`;
  if (js.split(registered).length !== 2) return { js, ok: false };
  const lean = `__aloftLean${fn.slice('_trampoline'.length)}`;
  const at = named[0].index + named[0][0].length;
  js = `${js.slice(0, at)}  const ${lean} = ${imp.lean(c)};\n${js.slice(at)}`;
  js = js.replace(
    registered,
    `Object.assign(__aloftJcoDebug ? ${fn.slice(1)} : ${lean}, { _jcoMaySuspend: false })`,
  );
  return { js, ok: true };
}

/** Part of a cached transpilation's stamp: a change to any patch is a new transpilation. */
export const GLUE_PATCHES = [
  DEBUG_CHECK,
  WRITE_LIFT.source,
  ...LEAN_IMPORTS.map(
    (l) => `${l.name} ${Object.values(l.captures).map((r) => r.source)} ${l.lean.toString()}`,
  ),
].join('\n');

/** The glue with every patch that fits applied, and the host imports made lean. */
export function patchGlue(bytes: Uint8Array): { bytes: Uint8Array; lean: string[] } {
  let js = new TextDecoder().decode(bytes);
  js = `const __aloftJcoDebug = Boolean(globalThis?.process?.env?.JCO_DEBUG);\n${js.replaceAll(DEBUG_CHECK, 'if (!__aloftJcoDebug) { return; }')}`;
  js = js.replace(WRITE_LIFT, 'var $1 = new Uint8Array($2.buffer, $3, $4);$5');
  const lean: string[] = [];
  for (const imp of LEAN_IMPORTS) {
    const r = installLean(js, imp);
    js = r.js;
    if (r.ok) lean.push(imp.name);
  }
  return { bytes: new TextEncoder().encode(js), lean };
}
