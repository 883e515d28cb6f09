import { ChaosError } from './errors.js';
import type { KernelCapabilities } from './probe.js';
import type { Fault, NetworkFaultKind, NetworkPath } from './types.js';

/** Marks of what the engine creates, so that it removes only its own (and finds it after SIGKILL). */
export const QDISC_HANDLE = 'a10f:';
export const CHAIN_OUT = 'ALOFT-CHAOS-OUT';
export const CHAIN_IN = 'ALOFT-CHAOS-IN';
export const RULE_COMMENT = 'aloft-chaos';
/** Packets the helper sends itself (duplicates) carry this mark and skip the queue. */
export const SKIP_MARK = 0xa10f;
/** NFQUEUE numbers are per network namespace: one helper per target uses this one. */
export const QUEUE_NUM = 41231;

export type PathName = 'netem' | 'nfqueue-helper' | 'iptables-statistic' | 'iptables-drop' | 'tbf';

export interface HelperParams {
  delayUs: number;
  jitterUs: number;
  loss: number;
  reorder: number;
  corrupt: number;
  duplicate: number;
}

/** What to create in a target's namespace for a set of network faults: data, applied by network.ts. */
export interface NetworkPlan {
  /** Arguments after `tc qdisc add dev D root handle a10f:`. */
  qdisc?: string[];
  helper?: HelperParams;
  /** iptables rules (after `-A CHAIN`) for the out and in chains. */
  out: string[][];
  in: string[][];
  /** Which path each fault takes, for the audit and GET /info. */
  paths: Partial<Record<NetworkFaultKind, PathName>>;
}

/** The path each network fault takes on a kernel, when a policy leaves the choice to Aloft. */
export function pathsFor(caps: KernelCapabilities): Record<NetworkFaultKind, PathName | 'unavailable'> {
  const helper = caps.nfqueue ? 'nfqueue-helper' : 'unavailable';
  if (caps.netem)
    return {
      latency: 'netem',
      loss: 'netem',
      reorder: 'netem',
      duplicate: 'netem',
      corrupt: 'netem',
      bandwidth: 'netem',
      partition: 'iptables-drop',
    };
  return {
    latency: helper,
    reorder: helper,
    corrupt: helper,
    duplicate: helper,
    loss: caps.statistic ? 'iptables-statistic' : helper,
    bandwidth: caps.tbf ? 'tbf' : 'unavailable',
    partition: 'iptables-drop',
  };
}

const pct = (p: number) => `${Number(p.toFixed(4))}%`;

/**
 * Plans the network faults of one target as ONE qdisc, ONE helper and a few rules, so several
 * faults combine (netem takes delay, loss, reorder... in one qdisc) instead of failing with
 * "RTNETLINK: File exists" as separate `tc qdisc add` calls do.
 */
export function planNetwork(
  faults: readonly Fault[],
  caps: KernelCapabilities,
  path: NetworkPath,
): NetworkPlan {
  const plan: NetworkPlan = { out: [], in: [], paths: {} };
  const by = new Map(faults.map((f) => [f.kind, f]));
  const net = faults.filter((f) =>
    ['latency', 'loss', 'reorder', 'duplicate', 'corrupt', 'bandwidth', 'partition'].includes(f.kind),
  );
  if (net.length === 0) return plan;
  if (by.has('reorder') && !by.has('latency'))
    throw new ChaosError(
      'CHAOS_BAD_FAULT',
      'reorder needs latency in the same policy (packets are reordered by sending some without the delay)',
    );
  if (path === 'netem' && !caps.netem)
    throw new ChaosError(
      'CHAOS_NETEM_UNAVAILABLE',
      `this kernel has no netem (${caps.notes.netem ?? 'sch_netem missing'}): load sch_netem or use path=auto/userspace`,
    );
  const useNetem = path === 'netem' || (path === 'auto' && caps.netem);

  if (by.has('partition')) {
    // Everything but loopback, both ways: the target is cut off from every peer.
    plan.out.push(['!', '-o', 'lo', '-j', 'DROP']);
    plan.in.push(['!', '-i', 'lo', '-j', 'DROP']);
    plan.paths.partition = 'iptables-drop';
  }
  const lat = by.get('latency') as Extract<Fault, { kind: 'latency' }> | undefined;
  const rate = (k: 'loss' | 'reorder' | 'duplicate' | 'corrupt') =>
    (by.get(k) as { percent: number } | undefined)?.percent;

  if (useNetem) {
    const args = ['netem'];
    if (lat) args.push('delay', `${lat.delayMs}ms`, ...(lat.jitterMs ? [`${lat.jitterMs}ms`] : []));
    for (const k of ['loss', 'reorder', 'duplicate', 'corrupt'] as const) {
      const p = rate(k);
      if (p !== undefined) args.push(k, pct(p));
    }
    const bw = by.get('bandwidth') as { kbit: number } | undefined;
    if (bw) args.push('rate', `${bw.kbit}kbit`);
    if (args.length > 1) plan.qdisc = args;
    for (const f of net) if (f.kind !== 'partition') plan.paths[f.kind as NetworkFaultKind] = 'netem';
    return plan;
  }

  const needsHelper =
    lat !== undefined || ['reorder', 'duplicate', 'corrupt'].some((k) => by.has(k as Fault['kind']));
  const missing = (what: string, cap: keyof Omit<KernelCapabilities, 'notes'>) =>
    new ChaosError(
      'CHAOS_PATH_UNAVAILABLE',
      `${what} needs ${cap} on this kernel, which failed its probe: ${caps.notes[cap] ?? 'unknown'}`,
    );
  if (needsHelper) {
    if (!caps.nfqueue) throw missing('the userspace path (latency, reorder, duplicate, corrupt)', 'nfqueue');
    plan.helper = {
      delayUs: Math.round((lat?.delayMs ?? 0) * 1000),
      jitterUs: Math.round((lat?.jitterMs ?? 0) * 1000),
      loss: rate('loss') ?? 0,
      reorder: rate('reorder') ?? 0,
      corrupt: rate('corrupt') ?? 0,
      duplicate: rate('duplicate') ?? 0,
    };
    for (const f of net)
      if (f.kind !== 'partition' && f.kind !== 'bandwidth')
        plan.paths[f.kind as NetworkFaultKind] = 'nfqueue-helper';
    plan.out.push([
      '!',
      '-o',
      'lo',
      '-m',
      'mark',
      '!',
      '--mark',
      `0x${SKIP_MARK.toString(16)}`,
      '-j',
      'NFQUEUE',
      '--queue-num',
      String(QUEUE_NUM),
      '--queue-bypass',
    ]);
  } else if (by.has('loss')) {
    if (!caps.statistic) throw missing('loss', 'statistic');
    const p = rate('loss') ?? 0;
    plan.out.push([
      '!',
      '-o',
      'lo',
      '-m',
      'statistic',
      '--mode',
      'random',
      '--probability',
      String(Number((p / 100).toFixed(6))),
      '-j',
      'DROP',
    ]);
    plan.paths.loss = 'iptables-statistic';
  }
  const bw = by.get('bandwidth') as { kbit: number } | undefined;
  if (bw) {
    if (!caps.tbf) throw missing('bandwidth', 'tbf');
    // burst: at least one MTU-sized packet and ~10 ms worth of the rate, as tc-tbf(8) advises.
    const burstBytes = Math.max(1600, Math.round((bw.kbit * 1000) / 8 / 100));
    plan.qdisc = ['tbf', 'rate', `${bw.kbit}kbit`, 'burst', String(burstBytes), 'latency', '200ms'];
    plan.paths.bandwidth = 'tbf';
  }
  return plan;
}

/** The helper's command line (the image's entrypoint is the helper). */
export function helperArgs(h: HelperParams, seed: number): string[] {
  return [
    '--queue',
    String(QUEUE_NUM),
    '--delay-us',
    String(h.delayUs),
    '--jitter-us',
    String(h.jitterUs),
    '--loss',
    String(h.loss),
    '--reorder',
    String(h.reorder),
    '--corrupt',
    String(h.corrupt),
    '--duplicate',
    String(h.duplicate),
    '--mark',
    `0x${SKIP_MARK.toString(16)}`,
    '--seed',
    String(seed >>> 0 || 1),
  ];
}

/** Parses `tc qdisc show` into root qdiscs per device: handle "0:" is the kernel's default. */
export function rootQdiscs(show: string): { dev: string; kind: string; handle: string }[] {
  const out: { dev: string; kind: string; handle: string }[] = [];
  for (const line of show.split('\n')) {
    const m = /^qdisc (\S+) (\S+) dev (\S+) root\b/.exec(line.trim());
    if (m) out.push({ kind: m[1], handle: m[2], dev: m[3] });
  }
  return out;
}
