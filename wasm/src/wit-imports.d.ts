// The component's WIT import, as componentize-qjs exposes it to the bundled module.
declare module 'aloft:engine/io@0.1.0' {
  const io: {
    read(blob: 'old' | 'patch', offset: number, length: number): Uint8Array;
    write(chunk: Uint8Array): void;
  };
  export default io;
}

declare module 'aloft:engine/hash@0.1.0' {
  const hash: {
    Sha256: new () => { update(bytes: Uint8Array): void; digest(): Uint8Array };
  };
  export default hash;
}

declare module 'aloft:engine/kernels@0.1.0' {
  const kernels: {
    tarHeaderSum(block: Uint8Array): number;
    tarWalk(
      buf: Uint8Array,
      at: number,
      limit: number,
      metaFrom: number,
    ): { spans: ArrayLike<number>; meta: Uint8Array };
    /** The `zstd` resource: `block` throws the error code of its result's err. */
    Zstd: new (
      capacity: number,
    ) => { reset(window: number): boolean; block(wire: Uint8Array, room: number): Uint8Array };
    /** The `bspatch` resource: delta/core's BspatchKernel port as the component hands it over. */
    Bspatch: new () => import('./delta-core.js').BspatchKernel;
    /** The `apply-output` resource: delta/core's OutputKernel port. */
    ApplyOutput: new () => import('./delta-core.js').OutputKernel;
    /** The `gzip-codec` resource (wasm/src/deflate-kernel.ts's GzipCodec). */
    GzipCodec: new () => import('./deflate-kernel.js').GzipCodec;
  };
  export default kernels;
}
