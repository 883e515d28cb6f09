// The few globals the pure core may use. Every host Aloft targets has them: Node, browsers,
// and the component runtimes of jco (StarlingMonkey, QuickJS). Nothing here does I/O.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
