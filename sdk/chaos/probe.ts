import { run } from './exec.js';

/** What this kernel can do for network faults, probed once at engine start. */
export interface KernelCapabilities {
  netem: boolean;
  tbf: boolean;
  nfqueue: boolean;
  statistic: boolean;
  /** Why a capability is missing, as the tool said it (e.g. "Specified qdisc kind is unknown"). */
  notes: Record<string, string>;
}

// Each probe runs in a fresh, throw-away network namespace (unshare --net), so it can add
// qdiscs and rules freely without touching the host's or any container's network.
const PROBES: Record<Exclude<keyof KernelCapabilities, 'notes'>, string> = {
  netem: 'tc qdisc add dev lo root netem delay 1ms',
  tbf: 'tc qdisc add dev lo root tbf rate 1mbit burst 32kbit latency 50ms',
  nfqueue: 'iptables -w -A OUTPUT -j NFQUEUE --queue-num 1 --queue-bypass',
  statistic: 'iptables -w -A OUTPUT -m statistic --mode random --probability 0.5 -j DROP',
};

export async function probeKernel(): Promise<KernelCapabilities> {
  const caps: KernelCapabilities = { netem: false, tbf: false, nfqueue: false, statistic: false, notes: {} };
  await Promise.all(
    (Object.keys(PROBES) as (keyof typeof PROBES)[]).map(async (k) => {
      const r = await run('unshare', ['--net', 'sh', '-c', PROBES[k]]);
      caps[k] = r.status === 0;
      if (!caps[k]) caps.notes[k] = (r.stderr.trim().split('\n')[0] || `status ${r.status}`).slice(0, 200);
    }),
  );
  return caps;
}
