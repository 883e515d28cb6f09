export { Agent, type AgentOptions, type AgentState } from './agent.js';
export { deltaSource } from './delta-source.js';
export { type ExecContext, executors } from './executors.js';
export { type FleetLink, type FleetLinkOptions, startFleetLink } from './fleet-link.js';
export {
  defaultImageSources,
  engineSource,
  type FetchContext,
  type FetchStage,
  type ImageSource,
  tarSource,
} from './image-source.js';
export { readJournal, writeFileAtomic, writeJournal } from './journal.js';
export { DEFAULTS, isStrategy, resolveSettings } from './labels.js';
export { leaseHolders, MAX_ATTEMPTS, onStepFailure, plan } from './planner.js';
export { type AppContainer, DEVICE_LABEL, DockerRuntime, type RuntimeOptions } from './runtime.js';
export type { Action, Step, StepOf } from './steps.js';
export * from './types.js';
