import { runMain } from '../sdk/cli/command.js';
import { deltaCommand } from './cli.js';

// cbor-x's optional native string extractor costs ~1 MB of peak RSS to load (measured on
// `delta apply`), and delta only decodes a few KB of CBOR: the pure-JS decoder is enough.
process.env.CBOR_NATIVE_ACCELERATION_DISABLED ??= 'true';

runMain(deltaCommand, process.argv.slice(2));
