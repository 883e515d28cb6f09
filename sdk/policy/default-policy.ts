import { parsePolicy } from './parse-policy.js';
import type { Policy } from './types.js';

/**
 * What a device does when the fleet sent no policy: never disturb an app holding an update
 * lock, never switch an armed drone, switch a flying one only by hand-over (v2 takes the
 * rotors from v1 with no gap; the other strategies stop the app that is flying), keep a
 * reserve of battery for the flight home, and do not start a download over a link too poor
 * to finish it. Written as data so that it also documents the policy format.
 */
export const DEFAULT_POLICY_SOURCE = {
  version: 1,
  strategy: 'download-then-kill',
  otherwise: 'update',
  rules: [
    {
      name: 'respect update locks',
      when: { locks: true },
      action: 'wait',
      reason: 'An app holds an update lock; it releases it when it is safe to restart.',
    },
    {
      name: 'no downgrades',
      when: { downgrade: true },
      action: 'refuse',
      reason: 'Roll back by publishing the old image under a new version.',
    },
    {
      name: 'battery reserve',
      when: { battery: { max: 25 }, charging: false },
      action: 'wait',
      reason: 'Below 25% the battery is kept for flying home.',
    },
    {
      name: 'no download on a poor link',
      when: { phase: 'download', link: { max: 20 } },
      action: 'wait',
    },
    {
      name: 'never switch while armed',
      when: { phase: 'switch', flightState: 'armed' },
      action: 'wait',
      reason: 'Motors may spin up at any moment; switch after take-off (by hand-over) or after disarming.',
    },
    {
      name: 'in flight only by hand-over',
      when: { phase: 'switch', flightState: 'flying' },
      action: 'update',
      strategy: 'hand-over',
      reason: 'v2 takes the rotors, camera and ground link from v1 with no gap in control.',
    },
  ],
} as const;

export const DEFAULT_POLICY: Policy = parsePolicy(DEFAULT_POLICY_SOURCE);
