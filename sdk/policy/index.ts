export { cohortOf } from './cohort.js';
export { DEFAULT_POLICY, DEFAULT_POLICY_SOURCE } from './default-policy.js';
export { isPolicyError, PolicyError, type PolicyErrorCode } from './errors.js';
export { evaluatePolicy } from './evaluate.js';
export { parseFacts } from './parse-facts.js';
export { MAX_RULES, parsePolicy } from './parse-policy.js';
export {
  ACTIONS,
  type Action,
  type Conditions,
  type Decision,
  type DeviceFacts,
  type FactName,
  FLIGHT_STATES,
  type FlightState,
  PHASES,
  type Phase,
  type Policy,
  type Range,
  type Rule,
  STRATEGIES,
  type Strategy,
  type TimeWindow,
  type VersionCondition,
  WEEKDAYS,
  type Weekday,
} from './types.js';
export { compareVersions } from './version.js';
