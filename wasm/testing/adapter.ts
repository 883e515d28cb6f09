// The kernels' adapter module (wasm/kernels/adapter.c) driven directly from JS, as the engine's
// lowered imports call it: tests and the hash-speed measurement share this.

// The project's lib (ES2023, no DOM) leaves out the WebAssembly namespace Node provides.
declare const WebAssembly: {
  Memory: new (d: { initial: number }) => AdapterMemory;
  instantiate(
    bytes: Uint8Array,
    imports: object,
  ): Promise<{ instance: { exports: Record<string, unknown> } }>;
};

export interface AdapterMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}

export interface Adapter {
  readonly memory: AdapterMemory;
  'sha256-new'(): number;
  'sha256-update'(self: number, ptr: number, len: number): void;
  'sha256-digest'(self: number, retptr: number): void;
  'tar-header-sum'(ptr: number, len: number): number;
  'tar-walk'(ptr: number, len: number, at: number, limit: number, metaFrom: number, retptr: number): void;
}

/** Instantiates the adapter on a fresh memory of `pages` 64 KiB pages; `alloc` is its cabi_realloc. */
export async function instantiateAdapter(
  bytes: Uint8Array,
  pages: number,
  alloc: (n: number, align: number) => number,
): Promise<Adapter> {
  const memory = new WebAssembly.Memory({ initial: pages });
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: { memory, cabi_realloc: (_old: number, _size: number, align: number, n: number) => alloc(n, align) },
  });
  return { ...(instance.exports as object), memory } as Adapter;
}
