export type { Backend, Execution, FunctionSpec, StdinSource } from './backend.js';
export { attachAndStart, LocalBackend } from './backends/local.js';
export { ENV_PROLOGUE, WarmPool, type WarmPoolOptions } from './backends/warm-pool.js';
export { buildLocalImage, sharedLibraries } from './build-image.js';
export * from './cgi/index.js';
export { type Collected, type CollectLimits, collect } from './collect.js';
export {
  CgiError,
  type CgiErrorCode,
  FunctionError,
  type FunctionErrorCode,
  FunctionExitError,
  isCgiError,
  isFunctionError,
  isFunctionExitError,
} from './errors.js';
export { forgetImageCommands, resolveArgv } from './image-command.js';
export {
  FUNCTION_LABEL,
  functionLabels,
  OWNER_PID_LABEL,
  type SweepOptions,
  sweepFunctions,
} from './labels.js';
export { DEFAULT_MAX_OUTPUT, type RunOptions, run, runText } from './run.js';
export { runStream, type StreamOptions } from './run-stream.js';
export { parseBytes, parseCpus, parseDuration } from './units.js';
