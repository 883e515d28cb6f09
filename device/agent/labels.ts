import { DeviceError } from '../errors.js';
import { STRATEGIES, type Strategy, type UpdateRequest, type UpdateSettings } from './types.js';

/**
 * Update settings from labels, the balena way: `io.balena.update.strategy` and
 * `io.balena.update.handover-timeout` (milliseconds) are read as aliases of Aloft's own
 * `io.aloft.update.*`; Aloft's win when both are set. Explicit request fields win over labels.
 */
export const DEFAULTS: UpdateSettings = {
  strategy: 'download-then-kill',
  handoverTimeoutMs: 60_000,
  healthWindowMs: 10_000,
  lockTimeoutMs: 30_000,
};

const KEYS = {
  strategy: 'update.strategy',
  handoverTimeoutMs: 'update.handover-timeout',
  healthWindowMs: 'update.health-window',
  lockTimeoutMs: 'update.lock-timeout',
} as const;

function label(labels: Record<string, string>, key: string): string | undefined {
  return labels[`io.aloft.${key}`] ?? labels[`io.balena.${key}`];
}

export function isStrategy(s: string): s is Strategy {
  return (STRATEGIES as readonly string[]).includes(s);
}

function ms(name: string, raw: string | number | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 24 * 3600_000)
    throw new DeviceError(
      'DEVICE_BAD_REQUEST',
      `${name} must be milliseconds between 0 and 86400000, got '${raw}'`,
    );
  return Math.round(n);
}

export function resolveSettings(
  request: UpdateRequest,
  imageLabels: Record<string, string> = {},
): UpdateSettings {
  const labels = { ...imageLabels, ...(request.labels ?? {}) };
  const strategy = request.strategy ?? label(labels, KEYS.strategy) ?? DEFAULTS.strategy;
  if (!isStrategy(strategy))
    throw new DeviceError(
      'DEVICE_BAD_REQUEST',
      `unknown update strategy '${strategy}': use one of ${STRATEGIES.join(', ')}`,
    );
  return {
    strategy,
    handoverTimeoutMs: ms(
      'handover-timeout',
      request.handoverTimeoutMs ?? label(labels, KEYS.handoverTimeoutMs),
      DEFAULTS.handoverTimeoutMs,
    ),
    healthWindowMs: ms(
      'health-window',
      request.healthWindowMs ?? label(labels, KEYS.healthWindowMs),
      DEFAULTS.healthWindowMs,
    ),
    lockTimeoutMs: ms(
      'lock-timeout',
      request.lockTimeoutMs ?? label(labels, KEYS.lockTimeoutMs),
      DEFAULTS.lockTimeoutMs,
    ),
  };
}
