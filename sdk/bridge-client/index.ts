export { BridgeClient, type BridgeClientOptions, type Grant } from './client.js';
export { BridgeError, type BridgeErrorCode, isBridgeError } from './errors.js';
export { encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from './frame.js';
export {
  type AgentMessage,
  type AppMessage,
  BRIDGE_MOUNT_DIR,
  BRIDGE_SOCKET_NAME,
  DEFAULT_BRIDGE_SOCKET,
  parseAgentMessage,
  parseAppMessage,
} from './messages.js';
