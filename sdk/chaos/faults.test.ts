import { describe, expect, it } from 'vitest';
import { isChaosError } from './errors.js';
import { describeFault, normalizeFault, parseFault } from './faults.js';

describe('fault specs', () => {
  it("keeps Entropy's one-word failures with Aloft defaults", () => {
    expect(parseFault('latency')).toEqual({ kind: 'latency', delayMs: 100 });
    expect(parseFault('loss')).toEqual({ kind: 'loss', percent: 10 });
    expect(parseFault('kill')).toEqual({ kind: 'kill', signal: 'SIGKILL' });
    expect(parseFault('pause')).toEqual({ kind: 'pause' });
  });

  it('reads fixed, ranged and jittered latency, percentages, rates and signals', () => {
    expect(parseFault('latency:200ms')).toEqual({ kind: 'latency', delayMs: 200 });
    expect(parseFault('latency:100ms-300ms')).toEqual({ kind: 'latency', delayMs: 100, maxDelayMs: 300 });
    expect(parseFault('latency:1s~20ms')).toEqual({ kind: 'latency', delayMs: 1000, jitterMs: 20 });
    expect(parseFault('corrupt:2.5%')).toEqual({ kind: 'corrupt', percent: 2.5 });
    expect(parseFault('bandwidth:2mbit')).toEqual({ kind: 'bandwidth', kbit: 2000 });
    expect(parseFault('kill:term')).toEqual({ kind: 'kill', signal: 'SIGTERM' });
  });

  it('round-trips through describeFault and the JSON object form', () => {
    for (const spec of [
      'latency:50ms-80ms~5ms',
      'loss:7%',
      'partition',
      'bandwidth:512kbit',
      'kill:SIGUSR1',
      'restart',
    ]) {
      const f = parseFault(spec);
      expect(parseFault(describeFault(f))).toEqual(f);
      expect(normalizeFault(f)).toEqual(f);
    }
  });

  it('rejects bad specs with a code and an example', () => {
    for (const bad of [
      'latency:fast',
      'loss:150%',
      'nuke',
      'latency:300ms-100ms',
      'pause:5',
      'bandwidth:1',
    ]) {
      let err: unknown;
      try {
        parseFault(bad);
      } catch (e) {
        err = e;
      }
      expect(isChaosError(err) && err.code).toBe('CHAOS_BAD_FAULT');
      expect((err as Error).message).toContain('e.g.');
    }
  });
});
