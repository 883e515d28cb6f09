// Apply side of a gzip entry (OP_GZIP): a .gz file in NEW that GNU gzip made (changelog.gz, man
// pages) travels as a bsdiff of its decompressed content, which is small when only a few lines
// changed, where a diff of the compressed bytes is nearly the whole file. The member is rebuilt
// as header + gzipDeflate(level, content) + trailer; create only writes such an entry after
// re-encoding reproduced the file exactly, and apply hash-checks it like every file.
//
// Memory: the content (rawSize) and, with an inflated base, the old file and its content, each
// declared in the table and refused above limits.maxFileBytes before anything is allocated.
import { GZIP_LEVELS, gunzipMember, gzipRebuild } from '../deflate/index.js';
import { DeltaError, isDeltaError } from '../errors.js';
import { bytesSource, type RandomAccess } from '../io.js';
import type { StreamReader } from '../zstd/index.js';
import type { ApplyLimits } from './limits.js';
import { type BsdiffLengths, GZ_BASE_INFLATED, GZ_BASE_NONE, type GzipItem } from './table.js';

export interface GzipEntryInput {
  readonly item: GzipItem;
  /** The matched old file's bytes (unused for GZ_BASE_NONE). */
  readonly oldFile: RandomAccess | undefined;
  readonly streams: { ctrl: StreamReader; diff: StreamReader; extra: StreamReader; lit: StreamReader };
  readonly limits: ApplyLimits;
  /** Which file, for messages. */
  readonly what: string;
  readonly out: (chunk: Uint8Array) => void;
  /** apply's bspatch of one entry (its controls, diff and extra from the streams) filling `into`. */
  readonly bspatch: (base: RandomAccess, lengths: BsdiffLengths, into: Uint8Array) => void;
}

const invalid = (message: string) => new DeltaError('DELTA_PATCH_INVALID', message);

/** Every declared size checked against the limits and the streams before any allocation. */
function check(input: GzipEntryInput): void {
  const { item, limits, streams, what } = input;
  const max = limits.maxFileBytes;
  for (const [v, name] of [
    [item.size, 'size'],
    [item.rawSize, 'content size'],
    [item.oldRawSize, 'old content size'],
  ] as const)
    if (v > max)
      throw new DeltaError(
        'DELTA_PATCH_TOO_LARGE',
        `${what}: gzip ${name} of ${v} bytes exceeds the ${max}-byte file limit`,
      );
  if (!GZIP_LEVELS.includes(item.level))
    throw invalid(`${what}: gzip level ${item.level} is not rebuildable`);
  if (item.headerSize < 10 || item.headerSize + 8 > item.size)
    throw invalid(`${what}: gzip header of ${item.headerSize} bytes in a ${item.size}-byte file`);
  // bspatch writes exactly diff + extra bytes; both must still be in their streams.
  if (item.diff + item.extra !== item.rawSize)
    throw invalid(`${what}: gzip content size disagrees with its diff`);
  if (
    item.diff > streams.diff.remaining ||
    item.extra > streams.extra.remaining ||
    item.ctrl > streams.ctrl.remaining
  )
    throw invalid(`${what}: gzip entry needs more bytes than its streams hold`);
  if (item.headerSize > streams.lit.remaining)
    throw invalid(`${what}: gzip header is past the literal stream`);
  if (item.base !== GZ_BASE_NONE && !input.oldFile) throw invalid(`${what}: gzip entry has no old file`);
  if (item.base === GZ_BASE_INFLATED && (input.oldFile as RandomAccess).size > max)
    throw new DeltaError(
      'DELTA_PATCH_TOO_LARGE',
      `${what}: old gzip file exceeds the ${max}-byte file limit`,
    );
}

export function rebuildGzipEntry(input: GzipEntryInput): void {
  check(input);
  const { item, streams, what } = input;
  const header = streams.lit.read(item.headerSize);
  let base: RandomAccess = bytesSource(new Uint8Array(0));
  if (item.base === GZ_BASE_INFLATED) {
    const old = input.oldFile as RandomAccess;
    try {
      // Grows with the real data only, up to the declared size: a bomb stops there.
      const content = gunzipMember(old.read(0, old.size), item.oldRawSize);
      if (content.length !== item.oldRawSize) throw new Error(`inflates to ${content.length} bytes`);
      base = bytesSource(content);
    } catch (e) {
      throw new DeltaError(
        'DELTA_SOURCE_MISMATCH',
        `${what}: the old gzip file is not the one the patch was made from (${(e as Error).message})`,
      );
    }
  } else if (item.base !== GZ_BASE_NONE) base = input.oldFile as RandomAccess;

  const content = new Uint8Array(item.rawSize);
  input.bspatch(base, item, content);
  let written = 0;
  try {
    gzipRebuild({ header, level: item.level, content }, (c) => {
      written += c.length;
      if (written > item.size) throw invalid(`${what}: rebuilt gzip file is larger than ${item.size} bytes`);
      input.out(c);
    });
  } catch (e) {
    if (isDeltaError(e)) throw e;
    throw invalid(`${what}: gzip rebuild failed (${(e as Error).message})`);
  }
  if (written !== item.size)
    throw invalid(`${what}: rebuilt gzip file is ${written} bytes, not ${item.size}`);
}
