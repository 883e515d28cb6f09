/** One bsdiff instruction: `add` bytes of old+diff, then `copy` bytes from extra, then move the old cursor by `seek` (may be negative). */
export interface BsdiffControl {
  add: number;
  copy: number;
  seek: number;
}

/** The three streams of a bsdiff patch: sum(add) == diff.length, sum(copy) == extra.length. */
export interface BsdiffStreams {
  controls: BsdiffControl[];
  diff: Uint8Array;
  extra: Uint8Array;
}
