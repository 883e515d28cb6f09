/**
 * Why a device refused a message. The same codes appear in the device's retained state
 * (`rejection.reason`), so an operator reads the reason without the device's logs.
 */
export type ProtocolErrorCode =
  | 'PROTOCOL_OVERSIZED'
  | 'PROTOCOL_MALFORMED'
  | 'PROTOCOL_BAD_SIGNATURE'
  | 'PROTOCOL_UNKNOWN_KEY'
  | 'PROTOCOL_REPLAYED'
  | 'PROTOCOL_EXPIRED'
  | 'PROTOCOL_WRONG_FLEET'
  | 'PROTOCOL_WRONG_PRECURSOR'
  | 'PROTOCOL_BLOCK_MISMATCH'
  | 'PROTOCOL_PATCH_DIGEST'
  /** The device's update policy refused the update (a decision, not a fault of the message). */
  | 'PROTOCOL_POLICY_REFUSED';

/** A message that failed a size, schema, signature or policy check. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isProtocolError = (e: unknown): e is ProtocolError => e instanceof ProtocolError;
