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
