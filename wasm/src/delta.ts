// The `delta` interface of the component: delta/core's own decodeHead and applyPatch, with the
// `io` import (batched, host-io.ts) as their RandomAccess and sink ports. No delta logic lives here.
import {
  applyPatch as apply,
  type BspatchKernel,
  DEFAULT_LIMITS,
  type DecodedHead,
  type Digest,
  decodeHead,
  hex,
  isDeltaError,
  type OutputKernel,
  type Sha256Factory,
  STREAMS,
} from './delta-core.js';
import { hostBlob, hostSink } from './host-io.js';

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

/**
 * The interface, over whichever SHA-256 the world provides (noble inside, the host's, or the C
 * kernel composed inside), and bspatch and the output stage as kernels where the world has them
 * (with an output kernel, the output leaves through it, not through hostSink).
 */
export function deltaInterface(
  sha256: Sha256Factory,
  bspatch?: () => BspatchKernel,
  output?: () => OutputKernel,
) {
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
      const out = hostSink();
      const decoded = decodeHead(patch, DEFAULT_LIMITS);
      apply({
        patch,
        old: hostBlob('old', Number(oldSize)),
        decoded,
        sha256,
        bspatch: bspatch?.(),
        output: output?.(),
        limits: DEFAULT_LIMITS,
        sink: out.sink,
      });
      out.flush();
      return witDigest(decoded.head.target);
    } catch (e) {
      throw witError(e);
    }
  }

  return { inspectPatch, applyPatch };
}
