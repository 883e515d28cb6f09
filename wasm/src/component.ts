// Entry of the component: one export per WIT interface (componentize-qjs maps the interface
// `policy` to the export named `policy`).
import { checkPolicy, evaluatePolicy } from './policy.js';

export const policy = { checkPolicy, evaluatePolicy };
