import type { ImageSourceSpec, Outcome, Phase, Release, UpdateRecord } from './types.js';

/**
 * A step is data (balena-supervisor's composition steps are the model): the planner returns
 * them, an executor map runs them. Every step is idempotent, so re-running a step after the
 * agent was killed in the middle of it is safe.
 */
export type Step =
  | { action: 'fetch'; release: Release; source: ImageSourceSpec }
  | { action: 'wait-lock'; version: string; timeoutMs: number }
  /** `record`: note which leases the version holds before it goes, as what v2 must take. */
  | { action: 'stop'; version: string; record?: boolean }
  | { action: 'remove-container'; version: string }
  | { action: 'remove-image'; image: string }
  | { action: 'start'; release: Release; handover: boolean }
  | { action: 'hand-over'; from: string; to: string; timeoutMs: number }
  | { action: 'health'; version: string; windowMs: number; required: string[] }
  /** Journal transitions: also data, so the planner's whole output is testable. */
  | { action: 'phase'; phase: Phase; patch?: Partial<UpdateRecord> }
  | { action: 'finish'; current: Release | undefined; outcome: Omit<Outcome, 'at'> };

export type Action = Step['action'];
export type StepOf<A extends Action> = Extract<Step, { action: A }>;
