// The layout of a tar: its file-data regions (in archive order) and everything else ("meta")
// concatenated. Reading a layout from a random-access source skips file data instead of reading
// it, so indexing a 45 MB layer reads little more than its headers.
import { ByteBuilder, type RandomAccess } from '../io.js';
import { TarParser, type TarParserLimits } from './parser.js';

export interface DataRegion {
  readonly path: string;
  readonly typeflag: string;
  /** Offset of the data in the archive. */
  readonly offset: number;
  readonly size: number;
  /** Meta bytes between the previous region (or the start) and this one. */
  readonly metaBefore: number;
}

export interface TarLayout {
  readonly regions: DataRegion[];
  readonly meta: Uint8Array;
  readonly entryCount: number;
}

const CHUNK = 64 * 1024;

/**
 * `metaSize`: the meta's size when known (apply: the patch says it, and OLD's digest was
 * checked), so it is gathered into one buffer of that size, not doubled up to it and copied.
 */
export function scanTar(source: RandomAccess, limits?: TarParserLimits, metaSize?: number): TarLayout {
  const meta = new ByteBuilder(
    metaSize === undefined ? 64 * 1024 : Math.max(1, Math.min(metaSize, source.size)),
  );
  const regions: DataRegion[] = [];
  let metaAtLastRegion = 0;
  const parser = new TarParser(
    {
      meta: (bytes) => meta.push(bytes),
      entry: (e) => {
        if (e.size === 0) return;
        regions.push({
          path: e.path,
          typeflag: e.typeflag,
          offset: e.dataOffset,
          size: e.size,
          metaBefore: meta.length - metaAtLastRegion,
        });
        metaAtLastRegion = meta.length;
      },
    },
    limits,
  );
  feed(parser, source);
  return { regions, meta: meta.bytes(), entryCount: parser.entryCount };
}

/** Where each entry's data lies, as apply's layout of OLD needs it: no names. */
export interface TarSpans {
  readonly regions: { readonly offset: number; readonly size: number }[];
  readonly meta: Uint8Array;
}

/**
 * scanTar without names or types (same checks, same errors): the parser decodes no strings, for
 * QuickJS in the wasm build, where each string and object of a header costs microseconds, and it
 * walks from header to header (TarParser.scan) instead of pushing every read through its states.
 */
export function scanTarSpans(source: RandomAccess, metaSize: number, limits?: TarParserLimits): TarSpans {
  // The meta gathered here, not in a ByteBuilder: its push reads four lengths, each a getter call
  // in QuickJS; this keeps the capacity as a number and reads one.
  let meta = new Uint8Array(Math.max(1, Math.min(metaSize, source.size)));
  let cap = meta.length;
  let used = 0;
  const regions: { offset: number; size: number }[] = [];
  const parser = new TarParser(
    {
      meta: (bytes) => {
        const n = bytes.length;
        if (used + n > cap) {
          while (cap < used + n) cap *= 2;
          const next = new Uint8Array(cap);
          next.set(meta.subarray(0, used));
          meta = next;
        }
        meta.set(bytes, used);
        used += n;
      },
      span: (offset, size) => {
        if (size > 0) regions.push({ offset, size });
      },
    },
    limits,
    false,
  );
  parser.scan(source, CHUNK);
  return { regions, meta: used === cap ? meta : meta.slice(0, used) };
}

/** Pushes the source through the parser, skipping (not reading) file data. */
function feed(parser: TarParser, source: RandomAccess): void {
  let pos = 0;
  while (pos < source.size) {
    const skip = Math.min(parser.skippable, source.size - pos);
    if (skip > 0) {
      parser.skip(skip);
      pos += skip;
      continue;
    }
    const n = Math.min(CHUNK, source.size - pos);
    parser.push(source.read(pos, n));
    pos += n;
  }
  parser.end();
}
