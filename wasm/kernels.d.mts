export declare function compileKernels(): Uint8Array;
export declare function compileAdapter(): Promise<Uint8Array>;
export declare function buildKernelComponent(): Promise<Uint8Array>;
export declare function clangVersion(): string;
