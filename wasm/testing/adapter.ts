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

/** The engine's lowered `io` functions as the adapter imports them (apply-output.c calls them). */
export interface AdapterIo {
  'io-read'(blob: number, offset: bigint, length: number, retptr: number): void;
  'io-write'(ptr: number, len: number): void;
}

/** For tests of the other kernels, which must never reach the host. */
export const NO_IO: AdapterIo = {
  'io-read': () => {
    throw new Error('a kernel other than apply-output called io.read');
  },
  'io-write': () => {
    throw new Error('a kernel other than apply-output called io.write');
  },
};

/** Instantiates the adapter on a fresh memory of `pages` 64 KiB pages; `alloc` is its cabi_realloc. */
export async function instantiateAdapter(
  bytes: Uint8Array,
  pages: number,
  alloc: (n: number, align: number) => number,
  io: AdapterIo = NO_IO,
): Promise<Adapter> {
  const memory = new WebAssembly.Memory({ initial: pages });
  const { instance } = await WebAssembly.instantiate(bytes, {
    env: {
      memory,
      cabi_realloc: (_old: number, _size: number, align: number, n: number) => alloc(n, align),
      ...io,
    },
  });
  return { ...(instance.exports as object), memory } as Adapter;
}
