import { decode, encode } from 'cbor-x';
import { BridgeError } from './errors.js';

/**
 * Frames on the bridge socket: a 4-byte big-endian length, then that many bytes of CBOR.
 * Every frame is capped so that a misbehaving app cannot make the agent (which flies the
 * drone) buffer without bound: a camera frame fits, a memory bomb does not.
 */
export const MAX_FRAME_BYTES = 1 << 20;

export function encodeFrame(message: unknown, maxBytes = MAX_FRAME_BYTES): Uint8Array {
  const body = encode(message);
  if (body.length > maxBytes)
    throw new BridgeError(
      'BRIDGE_FRAME_TOO_LARGE',
      `bridge message of ${body.length} bytes exceeds the ${maxBytes}-byte frame cap: send smaller pieces`,
    );
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

/**
 * Incremental decoder: push bytes as they arrive (in any split), get whole decoded messages.
 * A length above the cap or undecodable CBOR throws; the caller closes the connection.
 */
export class FrameDecoder {
  private buf: Uint8Array = new Uint8Array(0);

  constructor(private readonly maxBytes = MAX_FRAME_BYTES) {}

  push(chunk: Uint8Array): unknown[] {
    this.buf = this.buf.length ? concat(this.buf, chunk) : chunk;
    const out: unknown[] = [];
    while (this.buf.length >= 4) {
      const len = new DataView(this.buf.buffer, this.buf.byteOffset, 4).getUint32(0);
      if (len > this.maxBytes)
        throw new BridgeError(
          'BRIDGE_FRAME_TOO_LARGE',
          `bridge frame announces ${len} bytes, above the ${this.maxBytes}-byte cap`,
        );
      if (this.buf.length < 4 + len) break;
      const body = this.buf.subarray(4, 4 + len);
      this.buf = this.buf.subarray(4 + len);
      try {
        out.push(decode(body));
      } catch (e) {
        throw new BridgeError('BRIDGE_BAD_FRAME', `bridge frame is not valid CBOR: ${(e as Error).message}`);
      }
    }
    // Do not keep a view into a large old chunk alive.
    if (this.buf.length === 0) this.buf = new Uint8Array(0);
    return out;
  }

  get buffered(): number {
    return this.buf.length;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
