// Entry of the `engine` world: one export per WIT interface (componentize-qjs maps the
// interface `policy` to the export named `policy`, `delta` to `delta`). Hashing is noble's.
import { deltaInterface } from './delta.js';
import { pureSha256 } from './delta-core.js';
import { checkPolicy, evaluatePolicy } from './policy.js';

export const policy = { checkPolicy, evaluatePolicy };
export const delta = deltaInterface(pureSha256);
