// Entry of the component: one export per WIT interface (componentize-qjs maps the interface
// `policy` to the export named `policy`, `delta` to `delta`).
import { applyPatch, inspectPatch } from './delta.js';
import { checkPolicy, evaluatePolicy } from './policy.js';

export const policy = { checkPolicy, evaluatePolicy };
export const delta = { inspectPatch, applyPatch };
