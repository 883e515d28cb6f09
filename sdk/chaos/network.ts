import type Docker from 'dockerode';
import { ChaosError } from './errors.js';
import { inNetns, mustInNetns } from './exec.js';
import {
  CHAIN_IN,
  CHAIN_OUT,
  helperArgs,
  type NetworkPlan,
  QDISC_HANDLE,
  RULE_COMMENT,
  rootQdiscs,
} from './network-plan.js';
import { CHAOS_ROLE_LABEL } from './targeting.js';

const JUMP = new RegExp(
  `^-A (OUTPUT|INPUT) -m comment --comment "?${RULE_COMMENT}"? -j (${CHAIN_OUT}|${CHAIN_IN})$`,
);
const ourChains = (saved: string) =>
  saved
    .split('\n')
    .map((l) => /^:(\S+) /.exec(l.trim())?.[1])
    .filter((c): c is string => c === CHAIN_OUT || c === CHAIN_IN);

export const INJECTOR_IMAGE = 'aloft/chaos-injector:1';
export const TARGET_LABEL = 'io.aloft.chaos.target';

/** What network.ts removed from a namespace, for the audit line. */
export interface NetworkCleanup {
  rules: number;
  qdiscs: string[];
  helpers: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Applies and removes network plans in a container's network namespace: the host's tc and
 * iptables through nsenter, and the NFQUEUE helper as a sidecar container sharing the
 * namespace. Everything it creates is marked (qdisc handle a10f:, chains ALOFT-CHAOS-*, the
 * helper's labels), and removal touches only marked things.
 */
export class NetworkInjector {
  constructor(
    private readonly docker: Docker,
    private readonly image = INJECTOR_IMAGE,
  ) {}

  async apply(pid: number, targetId: string, plan: NetworkPlan, seed: number): Promise<void> {
    try {
      if (plan.qdisc) await this.checkQdiscs(pid);
      if (plan.helper) await this.startHelper(targetId, helperArgs(plan.helper, seed));
      if (plan.out.length || plan.in.length) await this.addRules(pid, plan);
      if (plan.qdisc)
        for (const dev of await this.devices(pid))
          await mustInNetns(pid, 'tc', [
            'qdisc',
            'replace',
            'dev',
            dev,
            'root',
            'handle',
            QDISC_HANDLE,
            ...plan.qdisc,
          ]);
    } catch (e) {
      await this.clear(pid, targetId).catch(() => undefined);
      throw e;
    }
  }

  /** Removes every marked rule, qdisc and helper of one target. Idempotent; pid 0: namespace gone. */
  async clear(pid: number, targetId: string): Promise<NetworkCleanup> {
    const done: NetworkCleanup = { rules: 0, qdiscs: [], helpers: 0 };
    if (pid > 0) done.rules = await this.removeRules(pid);
    // After the rules: no new packet reaches the queue, and the helper's SIGTERM releases the held ones.
    done.helpers = await this.removeHelpers(targetId);
    if (pid > 0) {
      const show = await inNetns(pid, 'tc', ['qdisc', 'show']);
      for (const q of rootQdiscs(show.stdout))
        if (q.handle === QDISC_HANDLE) {
          await mustInNetns(pid, 'tc', ['qdisc', 'del', 'dev', q.dev, 'root']);
          done.qdiscs.push(q.dev);
        }
    }
    return done;
  }

  /** True when the namespace holds anything marked as ours (used by the start-up sweep). */
  async hasMarks(pid: number): Promise<boolean> {
    const rules = await inNetns(pid, 'iptables-save', ['-t', 'filter']);
    const show = await inNetns(pid, 'tc', ['qdisc', 'show']);
    return (
      ourChains(rules.stdout).length > 0 || rootQdiscs(show.stdout).some((q) => q.handle === QDISC_HANDLE)
    );
  }

  private async devices(pid: number): Promise<string[]> {
    const out = await mustInNetns(pid, 'ip', ['-o', 'link', 'show']);
    return out
      .split('\n')
      .map((l) => /^\d+: ([^:@]+)/.exec(l)?.[1])
      .filter((d): d is string => !!d && d !== 'lo');
  }

  // A root qdisc with a handle other than the kernel default (0:) or ours belongs to someone
  // else: we refuse rather than replace it, and so never have to restore it.
  private async checkQdiscs(pid: number): Promise<void> {
    const devs = new Set(await this.devices(pid));
    const show = await mustInNetns(pid, 'tc', ['qdisc', 'show']);
    for (const q of rootQdiscs(show))
      if (devs.has(q.dev) && q.handle !== '0:' && q.handle !== QDISC_HANDLE)
        throw new ChaosError(
          'CHAOS_FOREIGN_QDISC',
          `${q.dev} already has a root qdisc (${q.kind} ${q.handle}) that Aloft did not create; it is left alone: remove it or drop the bandwidth fault (or use a kernel with netem)`,
        );
  }

  // One iptables-restore per change: atomic, and one nsenter instead of five (each costs
  // ~40-200 ms on a loaded host). --noflush leaves every rule we did not write alone.
  private async addRules(pid: number, plan: NetworkPlan): Promise<void> {
    const lines = ['*filter'];
    for (const [chain, base, rules] of [
      [CHAIN_OUT, 'OUTPUT', plan.out],
      [CHAIN_IN, 'INPUT', plan.in],
    ] as const) {
      if (rules.length === 0) continue;
      lines.push(`:${chain} - [0:0]`);
      for (const rule of rules) lines.push(`-A ${chain} ${rule.join(' ')}`);
      lines.push(`-I ${base} 1 -m comment --comment ${RULE_COMMENT} -j ${chain}`);
    }
    lines.push('COMMIT', '');
    await mustInNetns(pid, 'iptables-restore', ['-w', '--noflush'], lines.join('\n'));
  }

  private async removeRules(pid: number): Promise<number> {
    const saved = await mustInNetns(pid, 'iptables-save', ['-t', 'filter']);
    const jumps = saved.split('\n').filter((l) => JUMP.test(l.trim()));
    const chains = ourChains(saved);
    if (jumps.length === 0 && chains.length === 0) return 0;
    const lines = ['*filter', ...jumps.map((j) => j.trim().replace(/^-A /, '-D '))];
    for (const c of chains) lines.push(`-F ${c}`);
    for (const c of chains) lines.push(`-X ${c}`);
    lines.push('COMMIT', '');
    await mustInNetns(pid, 'iptables-restore', ['-w', '--noflush'], lines.join('\n'));
    return jumps.length;
  }

  private async startHelper(targetId: string, args: string[]): Promise<void> {
    await this.removeHelpers(targetId);
    try {
      await this.docker.getImage(this.image).inspect();
    } catch {
      throw new ChaosError(
        'CHAOS_INJECTOR',
        `image ${this.image} is missing: run \`aloft chaos build-injector\` (or sdk/chaos/injector/build-image.sh)`,
      );
    }
    const c = await this.docker.createContainer({
      Image: this.image,
      Cmd: args,
      Labels: { [CHAOS_ROLE_LABEL]: 'injector', [TARGET_LABEL]: targetId, 'io.aloft.chaos': 'injector' },
      HostConfig: {
        NetworkMode: `container:${targetId}`,
        CapAdd: ['NET_ADMIN', 'NET_RAW'],
        AutoRemove: false,
      },
    });
    await c.start();
    // Wait for the helper to bind its queue before the rule that feeds it goes in (bounded).
    for (let i = 0; i < 100; i++) {
      const logs = (await c.logs({ stdout: true, stderr: true })).toString('latin1');
      if (logs.includes('ready queue=')) return;
      const st = await c.inspect();
      if (!st.State.Running)
        throw new ChaosError(
          'CHAOS_INJECTOR',
          `the injector helper exited: ${logs.replace(/[^\x20-\x7e\n]/g, '').trim()}`,
        );
      await sleep(i < 20 ? 10 : 50);
    }
    throw new ChaosError('CHAOS_INJECTOR', 'the injector helper did not report ready within 5 s');
  }

  private async removeHelpers(targetId: string): Promise<number> {
    const list = await this.docker.listContainers({
      all: true,
      filters: { label: [`${CHAOS_ROLE_LABEL}=injector`, `${TARGET_LABEL}=${targetId}`] },
    });
    for (const h of list) {
      const c = this.docker.getContainer(h.Id);
      if (h.State === 'running') await c.stop({ t: 2 }).catch(() => undefined);
      await c.remove({ force: true }).catch(() => undefined);
    }
    return list.length;
  }
}
