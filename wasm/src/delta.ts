// The `delta` interface of the component: delta/core's own decodeHead and applyPatch, with the
// `io` import as their RandomAccess and sink ports. No delta logic lives here.
import io from 'aloft:engine/io@0.1.0';
import {
  applyPatch as apply,
  DEFAULT_LIMITS,
  type DecodedHead,
  type Digest,
  decodeHead,
  hex,
  isDeltaError,
  type RandomAccess,
  type Sha256Factory,
  STREAMS,
} from './delta-core.js';

type Blob = 'old' | 'patch';

/** RandomAccess over a host blob. u64 travels as a JS number inside QuickJS. */
const hostBlob = (blob: Blob, size: number): RandomAccess => ({
  size,
  read: (offset, length) => io.read(blob, offset, length),
});

const witDigest = (d: Digest) => ({ size: d.size, sha256: hex(d.sha256), gzip: d.gzip });

function witError(e: unknown): { code: string; message: string } {
  if (isDeltaError(e)) return { code: e.code, message: e.message };
  return { code: 'DELTA_INTERNAL', message: e instanceof Error ? e.message : String(e) };
}

function info(d: DecodedHead) {
  const { head } = d;
  return {
    version: head.version,
    kind: head.kind,
    source: witDigest(head.source),
    target: witDigest(head.target),
    oldSize: head.oldLayout.size,
    oldRegions: head.oldLayout.regions,
    oldMetaSize: head.oldLayout.metaSize,
    headBytes: d.headBytes,
    streams: STREAMS.map((name) => ({ name, ...head.streams[name] })),
  };
}

/** The interface, over whichever SHA-256 the world provides (noble inside, or the host's). */
export function deltaInterface(sha256: Sha256Factory) {
  function inspectPatch(patchSize: number) {
    try {
      return info(decodeHead(hostBlob('patch', Number(patchSize)), DEFAULT_LIMITS));
    } catch (e) {
      throw witError(e);
    }
  }

  function applyPatch(oldSize: number, patchSize: number) {
    try {
      const patch = hostBlob('patch', Number(patchSize));
      const decoded = decodeHead(patch, DEFAULT_LIMITS);
      apply({
        patch,
        old: hostBlob('old', Number(oldSize)),
        decoded,
        sha256,
        limits: DEFAULT_LIMITS,
        sink: (chunk) => io.write(chunk),
      });
      return witDigest(decoded.head.target);
    } catch (e) {
      throw witError(e);
    }
  }

  return { inspectPatch, applyPatch };
}
