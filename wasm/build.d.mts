export type EngineKind = 'qjs' | 'starlingmonkey';
export declare function inputStamp(engine: EngineKind): Promise<string>;
export declare function componentPath(engine?: EngineKind): string;
export declare function buildComponent(opts?: {
  engine?: EngineKind;
  force?: boolean;
  log?: (message: string) => void;
}): Promise<string>;
