import { join } from 'node:path';
import {
  cohortOf,
  DEFAULT_POLICY,
  type Decision,
  type DeviceFacts,
  evaluatePolicy,
  type Phase,
  type Policy,
} from '../../sdk/policy/index.js';
import type { Manifest } from '../../sdk/protocol/index.js';
import { DeviceReceiver } from '../../sdk/transport/index.js';
import { readPublicKey } from '../../sdk/transport/key-files.js';
import type { Agent, AgentState } from './agent.js';

export interface FleetLinkOptions {
  agent: Agent;
  url: string;
  fleet: string;
  deviceId: string;
  /** Paths of trusted Ed25519 public keys (PEM, from `aloft keygen`). */
  trust: string[];
  dataDir: string;
  /** The fleet's update policy; the built-in default when absent. */
  policy?: Policy;
  /** 'flying' when the flight controller gets setpoints (the policy's flight-state fact). */
  flightState?: () => 'landed' | 'armed' | 'flying';
  /**
   * What the device knows about itself right now (battery, charging, link quality, flight
   * state), read each time the policy is asked. Unreported facts default to a landed,
   * charging device on a good link, i.e. a bench device.
   */
  facts?: () => Partial<Pick<DeviceFacts, 'flightState' | 'batteryPercent' | 'charging' | 'linkQuality'>>;
}

export interface FleetLink {
  receiver: DeviceReceiver;
  stop(): Promise<void>;
}

/** Agent states -> the protocol's device phases (the fleet's retained state topic). */
function phaseOf(s: AgentState): 'applying' | 'handing-over' | 'running' | 'failed' | undefined {
  if (s.state === 'applying' || s.state === 'loading') return 'applying';
  if (
    [
      'hand-over',
      'handing-over',
      'switch',
      'starting',
      'stopping',
      'health',
      'waiting-lock',
      'commit',
    ].includes(s.state)
  )
    return 'handing-over';
  if (s.state === 'rolling-back' || s.state === 'failed') return 'failed';
  if (s.state === 'running') return 'running';
  return undefined;
}

/**
 * Wires the MQTT update receiver (sdk/transport) to the agent: a verified patch becomes an
 * update request (delta against the running image, strategy from the signed manifest), after
 * asking the policy (sdk/policy) whether to switch now; the agent's progress goes back to the
 * fleet as protocol states, and a committed update is recorded as installed (anti-rollback floor).
 */
export async function startFleetLink(opts: FleetLinkOptions): Promise<FleetLink> {
  const { agent } = opts;
  const keys = await Promise.all(opts.trust.map((p) => readPublicKey(p)));
  const policy = opts.policy ?? DEFAULT_POLICY;
  const current = agent.journalSnapshot().current;
  const currentId = current ? await imageId(agent, current.image) : undefined;
  let pending: Manifest | undefined;

  // Asked twice per update: before the download and again before the switch.
  const ask = (m: Manifest, phase: Phase): Decision => {
    const reported = opts.facts?.() ?? {};
    return evaluatePolicy(
      policy,
      {
        phase,
        flightState: reported.flightState ?? opts.flightState?.() ?? 'landed',
        batteryPercent: reported.batteryPercent ?? 100,
        charging: reported.charging ?? true,
        linkQuality: reported.linkQuality ?? 100,
        currentVersion: agent.journalSnapshot().current?.version ?? '0',
        targetVersion: String(m.sequence),
        cohort: cohortOf(opts.deviceId, `${opts.fleet}/${m.sequence}`),
        locks: agent.locks(),
      },
      Date.now(),
    );
  };

  const receiver = new DeviceReceiver({
    url: opts.url,
    fleet: opts.fleet,
    device: opts.deviceId,
    keys,
    dataDir: join(opts.dataDir, 'fleet'),
    initial: {
      seq: 0,
      ...(currentId ? { image: currentId } : {}),
      ...(current ? { version: current.version } : {}),
    },
    beforeDownload: (m) => ask(m, 'download'),
    onPatchReady: async (m, path) => {
      const version = String(m.sequence);
      const j = agent.journalSnapshot();
      if (j.current?.version === version) {
        await receiver.markInstalled(m, version);
        return;
      }
      // Ask until the policy says update or refuse; 'wait' is bounded by the manifest's expiry.
      let d = ask(m, 'switch');
      while (d.action === 'wait' && Date.now() < m.expiresAt) {
        receiver.report({ phase: 'waiting', reason: d.reason });
        await new Promise((r) =>
          setTimeout(r, Math.max(500, Math.min(10_000, (d.retryAt ?? 0) - Date.now()))),
        );
        d = ask(m, 'switch');
      }
      if (d.action !== 'update') {
        receiver.report({ phase: 'failed', reason: `policy: ${d.reason}` });
        return;
      }
      const ruleStrategy = policy.rules.find((r) => r.name === d.rule)?.strategy;
      pending = m;
      await agent.submit({
        release: { version, image: m.target.imageId },
        source: {
          kind: 'delta',
          patchPath: path,
          baseImage: j.current ? ((await imageId(agent, j.current.image)) ?? j.current.image) : m.precursor,
        },
        strategy: ruleStrategy ?? m.strategy.name,
        handoverTimeoutMs: m.strategy.timeoutMs,
      });
    },
  });

  const onState = (s: AgentState) => {
    const phase = phaseOf(s);
    if (!phase) return;
    if (
      phase === 'running' &&
      pending &&
      s.last?.version === String(pending.sequence) &&
      s.last.result === 'updated'
    ) {
      const m = pending;
      pending = undefined;
      void receiver.markInstalled(m, String(m.sequence));
      return;
    }
    const reason = phase === 'failed' ? String(s.last?.reason ?? s.detail?.reason ?? s.state) : undefined;
    receiver.report({ phase, ...(s.version ? { version: s.version } : {}), ...(reason ? { reason } : {}) });
  };
  agent.on('state', onState);
  await receiver.start();
  return {
    receiver,
    async stop() {
      agent.off('state', onState);
      await receiver.stop();
    },
  };
}

async function imageId(agent: Agent, ref: string): Promise<string | undefined> {
  try {
    return (await agent.runtime.docker.getImage(ref).inspect()).Id;
  } catch {
    return undefined;
  }
}
