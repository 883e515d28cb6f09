import type { Writable } from 'node:stream';
import type { StdinSource } from '../backend.js';

/** Writes the whole source to `sink` (respecting back-pressure), then ends it. */
export async function pumpStdin(source: StdinSource, sink: Writable, prologue?: Uint8Array): Promise<void> {
  const write = (chunk: Uint8Array | string) =>
    new Promise<void>((resolve, reject) => {
      if (sink.destroyed) return reject(new Error('stdin closed'));
      const ok = sink.write(chunk, (err) => (err ? reject(err) : undefined));
      if (ok) resolve();
      else sink.once('drain', resolve);
    });
  if (prologue && prologue.length > 0) await write(prologue);
  if (typeof source === 'string' || source instanceof Uint8Array) {
    if (source.length > 0) await write(source);
  } else {
    for await (const chunk of source) if (chunk.length > 0) await write(chunk);
  }
  sink.end();
}

/** Collects a stdin source into one buffer (the Swarm backend ships stdin as a config). */
export async function collectStdin(source: StdinSource, limit: number): Promise<Buffer> {
  if (typeof source === 'string') return Buffer.from(source);
  if (source instanceof Uint8Array) return Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    size += b.length;
    if (size > limit) throw new RangeError(`stdin is larger than ${limit} bytes`);
    parts.push(b);
  }
  return Buffer.concat(parts);
}
