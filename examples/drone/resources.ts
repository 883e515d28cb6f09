import type { Resource } from '../../device/bridge/index.js';
import { Camera } from './camera.js';
import { FlightController } from './flight-controller.js';
import { GroundLink } from './ground-station.js';

export interface DroneHardware {
  flight: FlightController;
  camera: Camera;
  thermal: Camera;
  ground: GroundLink;
  all: Resource[];
}

/** The simulated drone the agent owns: flight controller, RGB and thermal cameras, ground link. */
export function droneHardware(opts: { groundPort?: number } = {}): DroneHardware {
  const flight = new FlightController();
  const camera = new Camera('camera', 'rgb', 10);
  const thermal = new Camera('thermal', 'thermal', 5);
  const ground = new GroundLink(opts.groundPort ?? 0);
  return { flight, camera, thermal, ground, all: [flight, camera, thermal, ground] };
}
