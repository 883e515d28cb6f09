// A streaming tar parser: a state machine fed chunks of any size (one byte at a time works) that
// splits the archive into file data and "meta" (every other byte: headers, pax and GNU long-name
// records, sparse maps, padding, the trailer and whatever follows it). Meta plus data, in order,
// is exactly the input, so a rebuilt archive is byte-identical by construction. Like node-tar's
// parse.ts it touches no file system: names are only ever keys, never paths to write.
import { DeltaError } from '../errors.js';
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
  typeflagCode,
} from './header.js';

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
type State = 'header' | 'sparse' | 'extension' | 'data' | 'padding' | 'trailer';

export class TarParser {
  private state: State = 'header';
  private block = new Uint8Array(BLOCK);
  private filled = 0;
  private remaining = 0;
  private pos = 0;
  private extension: { type: string; buf: Uint8Array; filled: number } | undefined;
  private pax = new Map<string, string>();
  private globalPax = new Map<string, string>();
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
    return this.state === 'data' ? this.remaining : 0;
  }

  /** Advances over n data bytes without reading them (random-access readers index this way). */
  skip(n: number): void {
    if (n > this.skippable || n < 0) throw new RangeError('skip beyond the current entry data');
    this.remaining -= n;
    this.pos += n;
    if (this.remaining === 0) this.afterData();
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case 'trailer':
          this.events.meta?.(chunk.subarray(i));
          this.pos += chunk.length - i;
          return;
        case 'header':
        case 'sparse': {
          const n = Math.min(BLOCK - this.filled, chunk.length - i);
          this.block.set(chunk.subarray(i, i + n), this.filled);
          this.filled += n;
          this.pos += n;
          i += n;
          if (this.filled === BLOCK) {
            this.filled = 0;
            if (this.state === 'header') this.onHeader();
            else this.onSparse();
          }
          break;
        }
        case 'extension': {
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
        case 'data': {
          const n = Math.min(this.remaining, chunk.length - i);
          this.events.data?.(chunk.subarray(i, i + n));
          this.remaining -= n;
          this.pos += n;
          i += n;
          if (this.remaining === 0) this.afterData();
          break;
        }
        case 'padding': {
          const n = Math.min(this.remaining, chunk.length - i);
          this.events.meta?.(chunk.subarray(i, i + n));
          this.remaining -= n;
          this.pos += n;
          i += n;
          if (this.remaining === 0) this.state = 'header';
          break;
        }
      }
    }
  }

  /** Declares the end of input; throws when it falls inside an entry. */
  end(): void {
    if (this.state === 'trailer') return;
    if (this.state === 'header' && this.pendingType < 0) {
      // A partial block after the last entry is junk we keep verbatim, like the trailer.
      if (this.filled) this.events.meta?.(this.block.subarray(0, this.filled));
      this.filled = 0;
      this.state = 'trailer';
      return;
    }
    throw new DeltaError('DELTA_TAR_INVALID', `tar ends inside an entry at byte ${this.pos}`);
  }

  private onHeader(): void {
    const block = this.block;
    if (isZeroBlock(block)) {
      // The end-of-archive marker: everything from here on is kept as opaque trailer bytes.
      this.events.meta?.(block);
      this.state = 'trailer';
      return;
    }
    let size: number;
    let sparse: boolean;
    if (this.paths) {
      const header = parseHeader(block);
      this.pendingHeader = header;
      size = header.size;
      sparse = header.sparseExtended;
    } else {
      size = checkHeader(block);
      sparse = block[156] === 0x53 && sparseExtended(block, headerMagic(block), 0x53);
    }
    const type = typeflagCode(block);
    this.events.meta?.(block);
    if (isExtension(type)) {
      this.pendingHeader = undefined;
      if (size > this.limits.maxExtensionBytes)
        throw new DeltaError(
          'DELTA_TAR_INVALID',
          `${String.fromCharCode(type)} record of ${size} bytes is too large`,
        );
      this.extension = { type: String.fromCharCode(type), buf: new Uint8Array(size), filled: 0 };
      this.remaining = size;
      this.state = 'extension';
      if (size === 0) this.onExtension();
      return;
    }
    this.pendingType = type;
    this.pendingSize = size;
    if (sparse) this.state = 'sparse';
    else this.startEntry();
  }

  private onSparse(): void {
    this.events.meta?.(this.block);
    // Byte 504 of an extended sparse block says whether yet another one follows.
    if (this.block[504] === 0) this.startEntry();
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
    this.startPadding(data.length);
  }

  private startEntry(): void {
    const type = this.pendingType;
    this.pendingType = -1;
    // Most entries have no pax record at all: no lookups then.
    const paxSize =
      this.pax.size + this.globalPax.size > 0
        ? (this.pax.get('size') ?? this.globalPax.get('size'))
        : undefined;
    let size = this.pendingSize;
    if (paxSize !== undefined) {
      size = Number(paxSize);
      if (!Number.isSafeInteger(size) || size < 0) throw new DeltaError('DELTA_TAR_INVALID', 'bad pax size');
    }
    // Hard links, symlinks, directories, devices and fifos carry no data even if a size is set
    // (POSIX: the size of a hard link may be ignored); only pax says otherwise, and we follow it.
    if (paxSize === undefined && noData(type)) size = 0;
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
    }
    // A fresh map only after a pax record (most entries have none: one Map each was garbage).
    if (this.pax.size > 0) this.pax = new Map();
    this.longName = undefined;
    this.longLink = undefined;
    this.entries++;
    if (entry) this.events.entry?.(entry);
    else this.events.span?.(this.pos, size);
    this.remaining = size;
    this.dataSize = size;
    this.state = size > 0 ? 'data' : 'header';
  }

  private afterData(): void {
    this.startPadding(this.dataSize);
  }

  private startPadding(size: number): void {
    this.remaining = (BLOCK - (size % BLOCK)) % BLOCK;
    this.state = this.remaining ? 'padding' : 'header';
  }
}
