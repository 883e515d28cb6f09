export { Camera, type CameraFrame } from './camera.js';
export { type DroneDemoOptions, type DroneDemoResult, runDroneDemo, type StrategyRun } from './demo-run.js';
export {
  FlightController,
  type GapRecord,
  type GapStats,
  type SetpointCommand,
} from './flight-controller.js';
export { GroundLink } from './ground-station.js';
export {
  buildDir,
  buildDroneImages,
  bundleApp,
  bundleHostEntry,
  DRONE_IMAGES,
  DRONE_LABEL,
} from './images.js';
export { type DroneHardware, droneHardware } from './resources.js';
