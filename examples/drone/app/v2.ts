import { runDrone } from './drone.js';
import { thermal } from './thermal.js';

await runDrone('2', [thermal]);
