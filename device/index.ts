export * from './agent/index.js';
export * from './bridge/index.js';
export { DeviceError, type DeviceErrorCode, isDeviceError } from './errors.js';
