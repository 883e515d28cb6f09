export type BridgeErrorCode =
  | 'BRIDGE_FRAME_TOO_LARGE'
  | 'BRIDGE_BAD_FRAME'
  | 'BRIDGE_BAD_MESSAGE'
  | 'BRIDGE_NOT_CONNECTED'
  | 'BRIDGE_CLOSED';

/** A failure on the local bridge between an app container and the device agent. */
export class BridgeError extends Error {
  override name = 'BridgeError';
  constructor(
    readonly code: BridgeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isBridgeError = (e: unknown): e is BridgeError => e instanceof BridgeError;
