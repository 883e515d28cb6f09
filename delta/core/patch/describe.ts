import { hex } from '../errors.js';
import type { RandomAccess } from '../io.js';
import { StreamReader } from '../zstd/index.js';
import { decodeHead, type PatchHead } from './format.js';
import type { ApplyLimits } from './limits.js';
import { decodeTable, OP_BSDIFF, OP_GZIP, OP_LITERAL, OP_REF } from './table.js';

export interface PatchDescription {
  readonly format: 'aloft';
  readonly version: number;
  readonly kind: PatchHead['kind'];
  readonly patchSize: number;
  readonly source: { size: number; sha256: string; gzip: boolean };
  readonly target: { size: number; sha256: string; gzip: boolean };
  readonly entries: {
    referenced: number;
    diffed: number;
    literal: number;
    /** Changed .gz files rebuilt from their decompressed content (format 2). */
    gzip: number;
    meta: 'bsdiff' | 'literal';
  };
  readonly streams: PatchHead['streams'];
}

/** What `delta info` shows: the head, and the entry table counted (only that stream is decoded). */
export function describePatch(patch: RandomAccess, limits: ApplyLimits): PatchDescription {
  const { head, specs } = decodeHead(patch, limits);
  const table = decodeTable(
    new StreamReader(patch, specs.table, limits.maxWindowBytes).read(specs.table.rawSize),
    head.oldLayout.regions,
  );
  const count = (op: number) => table.items.filter((i) => i.op === op).length;
  const digest = (d: PatchHead['source']) => ({ size: d.size, sha256: hex(d.sha256), gzip: d.gzip });
  return {
    format: 'aloft',
    version: head.version,
    kind: head.kind,
    patchSize: patch.size,
    source: digest(head.source),
    target: digest(head.target),
    entries: {
      referenced: count(OP_REF),
      diffed: count(OP_BSDIFF),
      literal: count(OP_LITERAL),
      gzip: count(OP_GZIP),
      meta: table.meta.op,
    },
    streams: head.streams,
  };
}
