export declare function compileKernels(): Uint8Array;
export declare function compileAdapter(): Promise<Uint8Array>;
export declare function buildKernelComponent(): Promise<Uint8Array>;
export declare function clangVersion(): string;
export declare function compileZstd(): Promise<Uint8Array>;
export declare function compileKernelModules(): Promise<Record<string, Uint8Array>>;
export declare function shareMemory(
  pic: Uint8Array,
  options: { name: string; exports: string[]; stackBytes?: number },
): Promise<Uint8Array>;
