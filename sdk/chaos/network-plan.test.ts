import { describe, expect, it } from 'vitest';
import { isChaosError } from './errors.js';
import { parseFault } from './faults.js';
import { pathsFor, planNetwork, QUEUE_NUM, rootQdiscs } from './network-plan.js';
import type { KernelCapabilities } from './probe.js';

const withNetem: KernelCapabilities = { netem: true, tbf: true, nfqueue: true, statistic: true, notes: {} };
const noNetem: KernelCapabilities = {
  ...withNetem,
  netem: false,
  notes: { netem: 'Error: Specified qdisc kind is unknown.' },
};
const faults = (...specs: string[]) => specs.map(parseFault);

describe('network plans', () => {
  it('netem: several faults combine into ONE qdisc (no "RTNETLINK: File exists")', () => {
    const plan = planNetwork(
      faults('latency:200ms~20ms', 'loss:5%', 'reorder:25%', 'duplicate:1%', 'corrupt:2%', 'bandwidth:1mbit'),
      withNetem,
      'auto',
    );
    expect(plan.qdisc).toEqual([
      'netem',
      'delay',
      '200ms',
      '20ms',
      'loss',
      '5%',
      'reorder',
      '25%',
      'duplicate',
      '1%',
      'corrupt',
      '2%',
      'rate',
      '1000kbit',
    ]);
    expect(plan.helper).toBeUndefined();
    expect(plan.paths.latency).toBe('netem');
  });

  it('userspace: the helper takes latency/reorder/corrupt/duplicate and loss, tbf the bandwidth', () => {
    const plan = planNetwork(
      faults('latency:200ms~20ms', 'loss:5%', 'reorder:25%', 'bandwidth:1mbit'),
      noNetem,
      'auto',
    );
    expect(plan.helper).toEqual({
      delayUs: 200_000,
      jitterUs: 20_000,
      loss: 5,
      reorder: 25,
      corrupt: 0,
      duplicate: 0,
    });
    expect(plan.out.at(-1)).toContain(String(QUEUE_NUM));
    expect(plan.out.at(-1)).toContain('--queue-bypass');
    expect(plan.qdisc?.[0]).toBe('tbf');
    expect(plan.paths).toMatchObject({ latency: 'nfqueue-helper', loss: 'nfqueue-helper', bandwidth: 'tbf' });
  });

  it('userspace: loss alone is an iptables statistic rule; partition drops both ways', () => {
    const plan = planNetwork(faults('loss:20%', 'partition'), noNetem, 'userspace');
    expect(plan.helper).toBeUndefined();
    expect(plan.out).toContainEqual([
      '!',
      '-o',
      'lo',
      '-m',
      'statistic',
      '--mode',
      'random',
      '--probability',
      '0.2',
      '-j',
      'DROP',
    ]);
    expect(plan.in).toEqual([['!', '-i', 'lo', '-j', 'DROP']]);
    expect(plan.paths).toEqual({ loss: 'iptables-statistic', partition: 'iptables-drop' });
  });

  it('asking for netem on a kernel without it is a clear error naming the probe result', () => {
    let err: unknown;
    try {
      planNetwork(faults('latency:50ms'), noNetem, 'netem');
    } catch (e) {
      err = e;
    }
    expect(isChaosError(err) && err.code).toBe('CHAOS_NETEM_UNAVAILABLE');
    expect((err as Error).message).toContain('Specified qdisc kind is unknown');
  });

  it('reorder needs latency; container faults plan nothing', () => {
    expect(() => planNetwork(faults('reorder:10%'), withNetem, 'auto')).toThrow(/reorder needs latency/);
    expect(planNetwork(faults('kill'), noNetem, 'auto')).toEqual({ out: [], in: [], paths: {} });
  });

  it('reports the path of each fault for GET /info', () => {
    expect(pathsFor(noNetem)).toMatchObject({
      latency: 'nfqueue-helper',
      loss: 'iptables-statistic',
      bandwidth: 'tbf',
    });
    expect(pathsFor(withNetem)).toMatchObject({ latency: 'netem', partition: 'iptables-drop' });
    expect(pathsFor({ ...noNetem, nfqueue: false }).latency).toBe('unavailable');
  });

  it('reads root qdiscs from tc qdisc show', () => {
    const show =
      'qdisc noqueue 0: dev lo root refcnt 2 \nqdisc tbf 1: dev eth0 root refcnt 2 rate 10Mbit burst 4Kb lat 50ms \nqdisc netem a10f: dev eth1 root refcnt 2 limit 1000 delay 50ms\n';
    expect(rootQdiscs(show)).toEqual([
      { kind: 'noqueue', handle: '0:', dev: 'lo' },
      { kind: 'tbf', handle: '1:', dev: 'eth0' },
      { kind: 'netem', handle: 'a10f:', dev: 'eth1' },
    ]);
  });
});
