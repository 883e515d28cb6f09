// A streaming tar parser: a state machine fed chunks of any size (one byte at a time works) that
// splits the archive into file data and "meta" (every other byte: headers, pax and GNU long-name
// records, sparse maps, padding, the trailer and whatever follows it). Meta plus data, in order,
// is exactly the input, so a rebuilt archive is byte-identical by construction. Like node-tar's
// parse.ts it touches no file system: names are only ever keys, never paths to write.
import { DeltaError } from '../errors.js';
import type { RandomAccess } from '../io.js';
import {
  BLOCK,
  checkHeader,
  headerMagic,
  isZeroBlock,
  latin1,
  parseHeader,
  parsePax,
  sparseExtended,
  type TarHeader,
} from './header.js';
import { walkPlain } from './walk-plain.js';

export interface TarEntry {
  /** Path after pax `path`, GNU long name or ustar prefix; a matching key only. */
  readonly path: string;
  readonly linkpath: string;
  readonly typeflag: string;
  /** Bytes of file data that follow (pax `size` wins over the header field). */
  readonly size: number;
  /** Offset of the first data byte in the archive. */
  readonly dataOffset: number;
  readonly header: TarHeader;
}

export interface TarEvents {
  /** Bytes that are not file data. The view is valid only during the call. */
  meta?(bytes: Uint8Array): void;
  /** Every real entry (not pax/long-name records), before its data. */
  entry?(entry: TarEntry): void;
  /** File data of the last entry. The view is valid only during the call. */
  data?(bytes: Uint8Array): void;
  /**
   * A parser made with `paths: false` calls this instead of entry(): every real entry's data
   * offset and size, with no names decoded (what apply's layout of OLD needs).
   */
  span?(dataOffset: number, size: number): void;
}

export interface TarParserLimits {
  /** Largest pax or long-name record kept in memory. */
  readonly maxExtensionBytes: number;
}

const DEFAULT_LIMITS: TarParserLimits = { maxExtensionBytes: 1 << 20 };

/** typeflag bytes of records that describe the next entry: x g L K N. */
const isExtension = (t: number) => t === 0x78 || t === 0x67 || t === 0x4c || t === 0x4b || t === 0x4e;
/** Hard links, symlinks, devices, directories, fifos ('1'..'6'): no data unless pax says so. */
const noData = (t: number) => t >= 0x31 && t <= 0x36;
/** Bytes after `size` bytes of data up to the next block. */
const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;
// States as small ints, not strings: QuickJS (the wasm build) compares these on every step.
const HEADER = 0;
const SPARSE = 1;
const EXTENSION = 2;
const DATA = 3;
const PADDING = 4;
const TRAILER = 5;
const EMPTY: Uint8Array = new Uint8Array(0);

export class TarParser {
  private state = HEADER;
  private block = new Uint8Array(BLOCK);
  private filled = 0;
  private remaining = 0;
  private pos = 0;
  private extension: { type: string; buf: Uint8Array; filled: number } | undefined;
  private pax = new Map<string, string>();
  private globalPax = new Map<string, string>();
  /** Whether either pax map holds a record (most archives have none: no lookups then). */
  private hasPax = false;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pendingHeader: TarHeader | undefined;
  /** The entry header waiting for its data (its typeflag byte and size; -1: none). */
  private pendingType = -1;
  private pendingSize = 0;
  private entries = 0;
  private dataSize = 0;

  /**
   * `paths: false`: entries are reported through `span` with no names decoded (no strings or
   * objects per header: QuickJS in the wasm build pays for each); the checks and errors are the same.
   */
  constructor(
    private readonly events: TarEvents,
    private readonly limits: TarParserLimits = DEFAULT_LIMITS,
    private readonly paths = true,
  ) {}

  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }

  get entryCount(): number {
    return this.entries;
  }

  /** Data bytes of the current entry a reader may skip instead of pushing (0 outside data). */
  get skippable(): number {
    return this.state === DATA ? this.remaining : 0;
  }

  /** Advances over n data bytes without reading them (random-access readers index this way). */
  skip(n: number): void {
    if (n > this.skippable || n < 0) throw new RangeError('skip beyond the current entry data');
    this.remaining -= n;
    this.pos += n;
    if (this.remaining === 0) this.startPadding(this.dataSize);
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case TRAILER:
          this.events.meta?.(chunk.subarray(i));
          this.pos += chunk.length - i;
          return;
        case HEADER:
        case SPARSE: {
          const n = Math.min(BLOCK - this.filled, chunk.length - i);
          this.block.set(chunk.subarray(i, i + n), this.filled);
          this.filled += n;
          this.pos += n;
          i += n;
          if (this.filled === BLOCK) {
            this.filled = 0;
            if (this.state === SPARSE) this.onSparse();
            else {
              const n = this.onHeader(this.block, 0, true);
              if (n >= 0) this.toData(n);
            }
          }
          break;
        }
        case EXTENSION: {
          const ext = this.extension as NonNullable<typeof this.extension>;
          const n = Math.min(this.remaining, chunk.length - i);
          const part = chunk.subarray(i, i + n);
          ext.buf.set(part, ext.filled);
          ext.filled += n;
          this.events.meta?.(part);
          this.remaining -= n;
          this.pos += n;
          i += n;
          if (this.remaining === 0) this.onExtension();
          break;
        }
        case DATA: {
          const n = Math.min(this.remaining, chunk.length - i);
          this.events.data?.(chunk.subarray(i, i + n));
          this.remaining -= n;
          this.pos += n;
          i += n;
          if (this.remaining === 0) this.startPadding(this.dataSize);
          break;
        }
        case PADDING: {
          const n = Math.min(this.remaining, chunk.length - i);
          this.events.meta?.(chunk.subarray(i, i + n));
          this.remaining -= n;
          this.pos += n;
          i += n;
          if (this.remaining === 0) this.state = HEADER;
          break;
        }
      }
    }
  }

  /** Declares the end of input; throws when it falls inside an entry. */
  end(): void {
    if (this.state === TRAILER) return;
    if (this.state === HEADER && this.pendingType < 0) {
      // A partial block after the last entry is junk we keep verbatim, like the trailer.
      if (this.filled) this.events.meta?.(this.block.subarray(0, this.filled));
      this.filled = 0;
      this.state = TRAILER;
      return;
    }
    throw new DeltaError('DELTA_TAR_INVALID', `tar ends inside an entry at byte ${this.pos}`);
  }

  /**
   * Reads a whole archive from a random-access source, for readers that do not want file data
   * (apply's layout of OLD). Header blocks are checked where they lie in a read (no copy), data and
   * padding are stepped over by offset (data is never read), and the meta between two data
   * regions (padding and headers, contiguous in the archive) is handed out as one view where it
   * lies in one read: push() handed out a piece per block and walked every read through its
   * states, and QuickJS (the wasm build) paid microseconds for each step. Extension records,
   * sparse maps and a partial block at the end go through push(): one set of tar rules, the same
   * errors. Meta is handed out when data begins, so after the entry or span of its header. Call on
   * a fresh parser; it ends the input itself.
   */
  scan(source: RandomAccess, chunkSize = 64 * 1024): void {
    const size = source.size;
    const meta = this.events.meta;
    // chunk holds the source's bytes [base, end). The meta bytes [from, pos) have not been handed
    // out yet: they lie in chunk, or (padding after data that was skipped) have not been read.
    let chunk = EMPTY;
    let base = 0;
    let end = 0;
    let from = this.pos;
    while (this.pos < size) {
      const pos = this.pos;
      const state = this.state;
      if (state === DATA) {
        if (pos > from) meta?.(chunk.subarray(from - base, pos - base));
        const n = Math.min(this.remaining, size - pos);
        this.pos = from = pos + n;
        this.remaining -= n;
        if (this.remaining === 0) this.startPadding(this.dataSize);
        continue;
      }
      // Padding is read with the header after it, so that both come from one read.
      const want =
        state === PADDING ? this.remaining + BLOCK : state === HEADER || state === SPARSE ? BLOCK : 1;
      if (pos + want > end && end < size) {
        if (pos <= end) {
          if (pos > from) meta?.(chunk.subarray(from - base, pos - base));
          from = pos;
        }
        // From a block boundary: headers then lie at multiples of 512 in the read, where the
        // TypeScript header sum reads them as words with no copy.
        base = from - (from % BLOCK);
        chunk = source.read(base, Math.min(Math.max(chunkSize, pos + want - base), size - base));
        end = base + chunk.length;
      }
      if (state === HEADER && pos + BLOCK <= end && !this.paths && !this.hasPax) {
        // A run of plain entries in one step (walk-plain.ts; the wasm build's is a kernel): what
        // the single-header steps below would do for each, without their interpreted steps.
        const w = walkPlain(chunk, pos - base, size - base, from - base);
        const s = w.spans;
        if (base + s[0] > pos) {
          // The meta up to the last data walked, in one piece (before the spans: nothing reads
          // the order of the two kinds of event).
          if (w.meta.length > 0) meta?.(w.meta);
          for (let i = 1; i < s.length; i += 2) {
            const data = base + s[i];
            const n = s[i + 1];
            this.entries++;
            this.events.span?.(data, n);
            if (n > 0) from = data + n;
          }
          this.pos = base + s[0];
          continue;
        }
      }
      if (state === HEADER && pos + BLOCK <= end) {
        const data = pos + BLOCK;
        this.pos = data;
        // The run of meta up to this header's end (usually the padding before it and the header)
        // is the header's view too: one subarray, where the header sum took one of its own (the
        // wasm build's sum kernel reads a header at the end of a longer view). After a header
        // with no data the run grows; such headers get a view of their own.
        const run = pos - from < BLOCK ? chunk.subarray(from - base, data - base) : undefined;
        const n = run ? this.onHeader(run, pos - from, false) : this.onHeader(chunk, pos - base, false);
        if (n < 0) continue;
        // An entry without extension records or sparse maps: its data, then padding to a block.
        const next = data + n + padding(n);
        if (next > size) {
          // The input ends inside the data or its padding: the general steps say where, as push() does.
          this.toData(n);
          continue;
        }
        if (n > 0) {
          meta?.(run ?? chunk.subarray(from - base, data - base));
          from = data + n;
        }
        this.pos = next;
      } else if (state === PADDING) {
        // Meta that nothing reads: it joins the run [from, pos).
        const n = Math.min(this.remaining, end - pos);
        this.pos = pos + n;
        this.remaining -= n;
        if (this.remaining === 0) this.state = HEADER;
      } else if (state === TRAILER) this.pos = end;
      else {
        // Sparse maps, extension records and a partial block at the end: push() hands out their meta.
        if (pos > from) meta?.(chunk.subarray(from - base, pos - base));
        const n = Math.min(state === EXTENSION ? this.remaining : BLOCK, end - pos);
        this.push(chunk.subarray(pos - base, pos - base + n));
        from = this.pos;
      }
    }
    if (this.pos > from) meta?.(chunk.subarray(from - base, this.pos - base));
    this.end();
  }

  /**
   * The header block at `at` in `buf` (its end is the offset now). Returns the size of the data
   * of the entry it starts, the entry reported; -1 when something else follows (the end marker,
   * an extension record or a sparse map: the state says which). `emit`: hand the block out as meta
   * first (push's own block; scan() hands out runs of meta itself).
   */
  private onHeader(buf: Uint8Array, at: number, emit: boolean): number {
    if (buf[at] === 0 && isZeroBlock(buf, at)) {
      // The end-of-archive marker: everything from here on is kept as opaque trailer bytes.
      if (emit) this.events.meta?.(buf);
      this.state = TRAILER;
      return -1;
    }
    let size: number;
    let sparse: boolean;
    if (this.paths) {
      const header = parseHeader(buf, at);
      this.pendingHeader = header;
      size = header.size;
      sparse = header.sparseExtended;
    } else {
      size = checkHeader(buf, at);
      sparse = buf[at + 156] === 0x53 && sparseExtended(buf, at, headerMagic(buf, at), 0x53);
    }
    const type = buf[at + 156] || 0x30; // typeflagCode, without a call
    if (emit) this.events.meta?.(buf);
    if (type !== 0x30 && isExtension(type)) {
      this.pendingHeader = undefined;
      if (size > this.limits.maxExtensionBytes)
        throw new DeltaError(
          'DELTA_TAR_INVALID',
          `${String.fromCharCode(type)} record of ${size} bytes is too large`,
        );
      this.extension = { type: String.fromCharCode(type), buf: new Uint8Array(size), filled: 0 };
      this.remaining = size;
      this.state = EXTENSION;
      if (size === 0) this.onExtension();
      return -1;
    }
    if (!sparse) return this.startEntry(type, size);
    this.pendingType = type;
    this.pendingSize = size;
    this.state = SPARSE;
    return -1;
  }

  private onSparse(): void {
    this.events.meta?.(this.block);
    // Byte 504 of an extended sparse block says whether yet another one follows.
    if (this.block[504] !== 0) return;
    const type = this.pendingType;
    this.pendingType = -1;
    this.toData(this.startEntry(type, this.pendingSize));
  }

  private onExtension(): void {
    const ext = this.extension as NonNullable<typeof this.extension>;
    this.extension = undefined;
    const data = ext.buf;
    if (ext.type === 'x') for (const [k, v] of parsePax(data)) this.pax.set(k, v);
    else if (ext.type === 'g') for (const [k, v] of parsePax(data)) this.globalPax.set(k, v);
    else if (this.paths) {
      let end = data.length;
      while (end > 0 && data[end - 1] === 0) end--;
      const s = latin1(data, 0, end);
      if (ext.type === 'K') this.longLink = s;
      else this.longName = s;
    }
    this.hasPax = this.pax.size + this.globalPax.size > 0;
    this.startPadding(data.length);
  }

  /** Reports the entry whose header said `type` and `size`; returns the size of its data. */
  private startEntry(type: number, headerSize: number): number {
    // Most entries have no pax record at all: no lookups then.
    const paxSize = this.hasPax ? (this.pax.get('size') ?? this.globalPax.get('size')) : undefined;
    let size = headerSize;
    if (paxSize !== undefined) {
      size = Number(paxSize);
      if (!Number.isSafeInteger(size) || size < 0) throw new DeltaError('DELTA_TAR_INVALID', 'bad pax size');
    }
    // Hard links, symlinks, directories, devices and fifos carry no data even if a size is set
    // (POSIX: the size of a hard link may be ignored); only pax says otherwise, and we follow it.
    if (paxSize === undefined && type !== 0x30 && noData(type)) size = 0;
    let entry: TarEntry | undefined;
    if (this.paths) {
      const header = this.pendingHeader as TarHeader;
      this.pendingHeader = undefined;
      entry = {
        path: this.pax.get('path') ?? this.longName ?? this.globalPax.get('path') ?? header.name,
        linkpath: this.pax.get('linkpath') ?? this.longLink ?? header.linkname,
        typeflag: header.typeflag,
        size,
        dataOffset: this.pos,
        header,
      };
      this.longName = undefined;
      this.longLink = undefined;
    }
    // A fresh map only after a pax record (most entries have none: one Map each was garbage).
    if (this.hasPax && this.pax.size > 0) {
      this.pax = new Map();
      this.hasPax = this.globalPax.size > 0;
    }
    this.entries++;
    if (entry) this.events.entry?.(entry);
    else this.events.span?.(this.pos, size);
    return size;
  }

  /** The current entry's data of `size` bytes comes next. */
  private toData(size: number): void {
    this.remaining = size;
    this.dataSize = size;
    this.state = size > 0 ? DATA : HEADER;
  }

  private startPadding(size: number): void {
    this.remaining = padding(size);
    this.state = this.remaining ? PADDING : HEADER;
  }
}
