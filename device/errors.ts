export type DeviceErrorCode =
  | 'DEVICE_JOURNAL_CORRUPT'
  | 'DEVICE_BAD_REQUEST'
  | 'DEVICE_UPDATE_LOCKED'
  | 'DEVICE_FETCH_FAILED'
  | 'DEVICE_START_FAILED'
  | 'DEVICE_HANDOVER_FAILED'
  | 'DEVICE_HEALTH_FAILED'
  | 'DEVICE_NO_ROLLBACK';

/** A failure of the device agent, with a code a caller (or the fleet's state topic) can branch on. */
export class DeviceError extends Error {
  override name = 'DeviceError';
  constructor(
    readonly code: DeviceErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const isDeviceError = (e: unknown): e is DeviceError => e instanceof DeviceError;
