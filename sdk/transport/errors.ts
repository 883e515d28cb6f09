export type TransportErrorCode =
  | 'TRANSPORT_CONNECT'
  | 'TRANSPORT_KEY_FILE'
  | 'TRANSPORT_INPUT'
  | 'TRANSPORT_TIMEOUT'
  | 'TRANSPORT_DELTA_MISSING';

/** A failure at the MQTT or file edge of the update protocol, with a code a caller can branch on. */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    readonly code: TransportErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isTransportError = (e: unknown): e is TransportError => e instanceof TransportError;
