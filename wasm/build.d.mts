export type EngineKind =
  | 'qjs'
  | 'qjs-hosted-hash'
  | 'qjs-kernels'
  | 'qjs-kernels-hosted-hash'
  | 'qjs-speed'
  | 'qjs-hosted-hash-speed'
  | 'starlingmonkey';
export declare const VARIANTS: Record<
  EngineKind,
  {
    entry: string;
    world: string;
    runtime: 'qjs' | 'starlingmonkey';
    optSize?: boolean;
    kernels?: boolean;
    hostedHash?: boolean;
  }
>;
export declare function inputStamp(engine: EngineKind): Promise<string>;
export declare function componentPath(engine?: EngineKind): string;
export declare function buildComponent(opts?: {
  engine?: EngineKind;
  force?: boolean;
  log?: (message: string) => void;
}): Promise<string>;
