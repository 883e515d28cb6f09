import { ChaosError } from './errors.js';
import type { Fault, FaultKind } from './types.js';

// Entropy names a failure with one word (`--failure latency`); Aloft keeps that and lets a
// parameter follow a colon: latency:200ms, latency:100ms-300ms, latency:200ms~20ms, loss:10%,
// reorder:25%, duplicate:5%, corrupt:5%, bandwidth:1mbit, kill:SIGKILL.
export const FAULT_KINDS: readonly FaultKind[] = [
  'latency',
  'loss',
  'partition',
  'reorder',
  'duplicate',
  'corrupt',
  'bandwidth',
  'kill',
  'stop',
  'pause',
  'restart',
];
export const NETWORK_KINDS = new Set<FaultKind>([
  'latency',
  'loss',
  'partition',
  'reorder',
  'duplicate',
  'corrupt',
  'bandwidth',
]);
export const isNetworkFault = (f: Fault): boolean => NETWORK_KINDS.has(f.kind);

const bad = (spec: string, why: string) =>
  new ChaosError('CHAOS_BAD_FAULT', `failure '${spec}': ${why} (e.g. latency:200ms, loss:10%, kill:SIGTERM)`);

function ms(spec: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (!m) throw bad(spec, `'${text}' is not a duration such as 200ms or 1s`);
  const v = Number(m[1]) * (m[2] === 's' ? 1000 : 1);
  if (v > 60_000) throw bad(spec, 'a delay above 60s is not supported');
  return v;
}

function percent(spec: string, text: string | undefined, dflt: number): number {
  if (text === undefined || text === '') return dflt;
  const m = /^(\d+(?:\.\d+)?)%?$/.exec(text.trim());
  const v = m ? Number(m[1]) : Number.NaN;
  if (!(v >= 0 && v <= 100)) throw bad(spec, `'${text}' is not a percentage between 0 and 100`);
  return v;
}

function kbit(spec: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(kbit|mbit|gbit|kbps|mbps)?$/i.exec(text.trim());
  if (!m) throw bad(spec, `'${text}' is not a rate such as 512kbit or 1mbit`);
  const unit = (m[2] ?? 'kbit').toLowerCase();
  const factor = { kbit: 1, mbit: 1000, gbit: 1_000_000, kbps: 8, mbps: 8000 }[unit] ?? 1;
  const v = Math.round(Number(m[1]) * factor);
  if (v < 8) throw bad(spec, 'a rate below 8kbit is not supported');
  return v;
}

/** Parses one failure as Entropy's word with an optional Aloft parameter. */
export function parseFault(spec: string): Fault {
  const [word, param] = spec.trim().split(/:(.*)/s, 2) as [string, string | undefined];
  const kind = word.toLowerCase();
  switch (kind) {
    case 'latency':
    case 'delay': {
      if (!param) return { kind: 'latency', delayMs: 100 };
      const [base, jitter] = param.split('~');
      const range = base.split('-');
      const delayMs = ms(spec, range[0]);
      const fault: Fault = { kind: 'latency', delayMs };
      if (range[1] !== undefined) {
        fault.maxDelayMs = ms(spec, range[1]);
        if (fault.maxDelayMs < delayMs) throw bad(spec, 'the range must go from low to high');
      }
      if (jitter !== undefined) fault.jitterMs = ms(spec, jitter);
      return fault;
    }
    case 'loss':
    case 'packet-loss':
      return { kind: 'loss', percent: percent(spec, param, 10) };
    case 'reordering': // Entropy's name
    case 'reorder':
    case 'duplicate':
    case 'corrupt': {
      const k = kind === 'reordering' ? 'reorder' : kind;
      return { kind: k, percent: percent(spec, param, k === 'reorder' ? 25 : 5) };
    }
    case 'partition':
      return { kind: 'partition' };
    case 'bandwidth':
    case 'rate':
      return { kind: 'bandwidth', kbit: kbit(spec, param ?? '1mbit') };
    case 'kill': {
      const signal = (param ?? 'SIGKILL').toUpperCase();
      if (!/^(SIG)?[A-Z0-9]+$/.test(signal)) throw bad(spec, `'${param}' is not a signal name`);
      return { kind: 'kill', signal: signal.startsWith('SIG') ? signal : `SIG${signal}` };
    }
    case 'stop':
    case 'pause':
    case 'restart':
      if (param) throw bad(spec, `${kind} takes no parameter`);
      return { kind };
    default:
      throw bad(spec, `unknown failure; known: ${FAULT_KINDS.join(', ')}`);
  }
}

/** Accepts a spec string or an object of the Fault shape (the JSON API sends either). */
export function normalizeFault(input: unknown): Fault {
  if (typeof input === 'string') return parseFault(input);
  if (typeof input === 'object' && input !== null && typeof (input as { kind?: unknown }).kind === 'string') {
    const o = input as Record<string, unknown>;
    const parts: string[] = [];
    if (o.kind === 'latency') {
      let p = `${Number(o.delayMs ?? 100)}ms`;
      if (o.maxDelayMs !== undefined) p += `-${Number(o.maxDelayMs)}ms`;
      if (o.jitterMs !== undefined) p += `~${Number(o.jitterMs)}ms`;
      parts.push(p);
    } else if (o.percent !== undefined) parts.push(`${Number(o.percent)}%`);
    else if (o.kbit !== undefined) parts.push(`${Number(o.kbit)}kbit`);
    else if (o.signal !== undefined) parts.push(String(o.signal));
    return parseFault(parts.length ? `${o.kind}:${parts[0]}` : String(o.kind));
  }
  throw new ChaosError(
    'CHAOS_BAD_FAULT',
    `failure ${JSON.stringify(input)} is neither a string nor {kind, ...}`,
  );
}

/** The spec string of a fault, the inverse of parseFault (used in lists and audit lines). */
export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'latency':
      return `latency:${f.delayMs}ms${f.maxDelayMs !== undefined ? `-${f.maxDelayMs}ms` : ''}${f.jitterMs ? `~${f.jitterMs}ms` : ''}`;
    case 'loss':
    case 'reorder':
    case 'duplicate':
    case 'corrupt':
      return `${f.kind}:${f.percent}%`;
    case 'bandwidth':
      return `bandwidth:${f.kbit}kbit`;
    case 'kill':
      return `kill:${f.signal}`;
    default:
      return f.kind;
  }
}
