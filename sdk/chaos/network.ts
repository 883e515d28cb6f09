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
    const chain = await inNetns(pid, 'iptables', ['-w', '-S', CHAIN_OUT]);
    const chainIn = await inNetns(pid, 'iptables', ['-w', '-S', CHAIN_IN]);
    const show = await inNetns(pid, 'tc', ['qdisc', 'show']);
    return (
      chain.status === 0 ||
      chainIn.status === 0 ||
      rootQdiscs(show.stdout).some((q) => q.handle === QDISC_HANDLE)
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

  private async addRules(pid: number, plan: NetworkPlan): Promise<void> {
    for (const [chain, base, rules] of [
      [CHAIN_OUT, 'OUTPUT', plan.out],
      [CHAIN_IN, 'INPUT', plan.in],
    ] as const) {
      if (rules.length === 0) continue;
      const exists = await inNetns(pid, 'iptables', ['-w', '-S', chain]);
      if (exists.status === 0) await mustInNetns(pid, 'iptables', ['-w', '-F', chain]);
      else await mustInNetns(pid, 'iptables', ['-w', '-N', chain]);
      for (const rule of rules) await mustInNetns(pid, 'iptables', ['-w', '-A', chain, ...rule]);
      const jump = ['-m', 'comment', '--comment', RULE_COMMENT, '-j', chain];
      const has = await inNetns(pid, 'iptables', ['-w', '-C', base, ...jump]);
      if (has.status !== 0) await mustInNetns(pid, 'iptables', ['-w', '-I', base, '1', ...jump]);
    }
  }

  private async removeRules(pid: number): Promise<number> {
    let removed = 0;
    for (const [chain, base] of [
      [CHAIN_OUT, 'OUTPUT'],
      [CHAIN_IN, 'INPUT'],
    ] as const) {
      const jump = ['-m', 'comment', '--comment', RULE_COMMENT, '-j', chain];
      for (let i = 0; i < 16; i++) {
        const r = await inNetns(pid, 'iptables', ['-w', '-D', base, ...jump]);
        if (r.status !== 0) break;
        removed++;
      }
      if ((await inNetns(pid, 'iptables', ['-w', '-S', chain])).status === 0) {
        await mustInNetns(pid, 'iptables', ['-w', '-F', chain]);
        await mustInNetns(pid, 'iptables', ['-w', '-X', chain]);
      }
    }
    return removed;
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
