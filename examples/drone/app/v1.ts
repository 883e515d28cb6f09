import { runDrone } from './drone.js';

await runDrone('1');
