import { BridgeClient } from '../../../sdk/bridge-client/index.js';

/**
 * The drone app that runs in a container (v1 and v2 are bundles of this file with different
 * features). It flies a slow circle at 100 Hz through the `flight` lease, watches the camera,
 * and reports to the ground station. What it hands over: the setpoint phase and sequence
 * (flight), the stream position (cameras), the telemetry counter (ground).
 */
export interface Feature {
  name: string;
  resources: string[];
  start(ctx: FeatureContext): void;
}

export interface FeatureContext {
  bridge: BridgeClient;
  report(data: Record<string, unknown>): void;
}

interface FlightState {
  seq: number;
  phase: number;
}

export async function runDrone(version: string, features: Feature[] = []): Promise<void> {
  const crashAfterMs = Number(process.env.DRONE_CRASH_AFTER_MS ?? 0);
  const flight: FlightState = { seq: 0, phase: 0 };
  const cameraPos: Record<string, number> = {};
  let reports = 0;

  const bridge = await BridgeClient.connect({
    app: 'drone',
    version,
    onHandoverRequest: (r) => {
      if (r === 'flight') {
        // One last setpoint now, so the controller's gap starts at the hand-over, not up to a
        // period before it.
        step();
        return { ...flight };
      }
      if (r === 'ground') return { reports };
      return { seq: cameraPos[r] ?? 0 };
    },
  });
  const report = (data: Record<string, unknown>) => {
    if (bridge.send('ground', { v: version, n: reports + 1, ...data })) reports++;
  };

  // 100 Hz setpoint loop; send() is a no-op unless this app holds `flight`.
  const step = () => {
    flight.phase += 0.01;
    flight.seq++;
    const sp = { x: 10 * Math.cos(flight.phase), y: 10 * Math.sin(flight.phase), z: 20, yaw: flight.phase };
    if (!bridge.send('flight', { seq: flight.seq, sp })) flight.seq--;
  };
  setInterval(step, 10);

  bridge.on('granted', (g: { resource: string; state?: unknown }) => {
    const s = g.state as Record<string, number> | undefined;
    if (g.resource === 'flight' && s && typeof s.seq === 'number') {
      flight.seq = s.seq;
      flight.phase = s.phase;
      step(); // take control now, not at the next tick
    } else if (g.resource === 'ground' && s && typeof s.reports === 'number') reports = s.reports;
    else if (s && typeof s.seq === 'number') {
      cameraPos[g.resource] = s.seq;
      bridge.send(g.resource, { seek: s.seq });
    }
  });
  bridge.on('event', (r: string, d: { seq?: number; kind?: string; msg?: Record<string, unknown> }) => {
    if (typeof d?.seq === 'number') {
      cameraPos[r] = d.seq;
      if (d.seq % 10 === 0) report({ camera: r, frame: d.seq });
    } else if (d?.kind === 'ground') onGround(d.msg ?? {});
  });

  const onGround = (msg: Record<string, unknown>) => {
    // A critical manoeuvre: hold the update lock while it lasts.
    if (msg.op === 'lock' && typeof msg.ms === 'number') {
      bridge.lock(`manoeuvre for ${msg.ms} ms`);
      setTimeout(() => bridge.unlock(), msg.ms);
      report({ locked: msg.ms });
    } else if (msg.op === 'ping') report({ pong: msg.id ?? null });
  };

  const wanted = ['flight', 'camera', 'ground', ...features.flatMap((f) => f.resources)];
  await Promise.all(wanted.map((r) => bridge.acquire(r)));
  // Incoming side of a hand-over: everything is ours now, so v1 may be killed.
  if (bridge.handover) bridge.handoverComplete();
  bridge.health(true);
  for (const f of features) f.start({ bridge, report });
  report({ up: true, features: features.map((f) => f.name) });

  if (crashAfterMs > 0) setTimeout(() => process.exit(3), crashAfterMs);
}

// PID 1 in a container gets no default SIGTERM handler: exit promptly when the agent stops us.
process.on('SIGTERM', () => process.exit(0));
