import { sha256 } from '@noble/hashes/sha2.js';

/**
 * A device's cohort (0..99) for one rollout: stable for the device, spread evenly over the
 * fleet, and different from one rollout to the next so that the same devices are not always
 * the canaries. Canary "10%" means cohorts 0..9.
 */
export function cohortOf(deviceId: string, rollout: string): number {
  const digest = sha256(new TextEncoder().encode(`${rollout}\u0000${deviceId}`));
  // 32 bits mod 100: the bias (2^32 mod 100 = 96 values over 42.9 million each) is negligible.
  const n = ((digest[0] << 24) | (digest[1] << 16) | (digest[2] << 8) | digest[3]) >>> 0;
  return n % 100;
}
