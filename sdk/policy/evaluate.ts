import { formatInstant } from './clock.js';
import { checkConditions } from './conditions.js';
import { parseFacts, parseNow } from './parse-facts.js';
import type { Decision, DeviceFacts, FactName, Policy, Rule } from './types.js';

/**
 * Decides whether a device may update now, must wait, or must refuse, and with which strategy.
 * Rules are tried in order and the first whose conditions all hold decides; with none, the
 * policy's `otherwise` does. Synchronous and pure: the agent gathers every fact first, and
 * `now` (ms since the epoch) is a value, so the same inputs always give the same decision.
 *
 * A wait names what to watch: every fact any rule up to the deciding one looked at (an earlier
 * rule that starts to hold could decide differently) and the next time a window opens or closes.
 */
export function evaluatePolicy(policy: Policy, facts: DeviceFacts, now: number): Decision {
  const f = parseFacts(facts);
  const t = parseNow(now);
  const watched = new Set<FactName>();
  let retryAt: number | null = null;
  for (const rule of policy.rules) {
    const checks = checkConditions(rule.when, f, t);
    for (const c of checks) {
      for (const name of c.facts) if (name !== 'time') watched.add(name);
      if (c.changesAt !== null && (retryAt === null || c.changesAt < retryAt)) retryAt = c.changesAt;
    }
    if (checks.every((c) => c.holds)) {
      const because = checks.length ? checks.map((c) => c.text).join(', ') : 'it matches every device';
      return decide(policy, rule, `rule "${rule.name}" matched: ${because}.`, watched, retryAt);
    }
  }
  return decide(
    policy,
    null,
    `no rule matched, so the policy's default applies (${policy.otherwise}).`,
    watched,
    retryAt,
  );
}

function decide(
  policy: Policy,
  rule: Rule | null,
  because: string,
  watched: Set<FactName>,
  retryAt: number | null,
): Decision {
  const action = rule?.action ?? policy.otherwise;
  const strategy = rule?.strategy ?? policy.strategy;
  const note = rule?.reason ? ` ${rule.reason}` : '';
  const base = { strategy, rule: rule?.name ?? null };
  if (action === 'update')
    return {
      ...base,
      action,
      reason: `Update now (${strategy}): ${because}${note}`,
      retryAt: null,
      waitFor: [],
    };
  if (action === 'refuse')
    return { ...base, action, reason: `Refuse this update: ${because}${note}`, retryAt: null, waitFor: [] };
  const waitFor = [...watched];
  const when = [
    retryAt !== null ? `at ${formatInstant(retryAt)}` : '',
    waitFor.length ? `when ${waitFor.join(', ')} change${waitFor.length === 1 ? 's' : ''}` : '',
  ].filter(Boolean);
  const again = when.length
    ? ` Ask again ${when.join(' or ')}.`
    : ' Nothing the device reports can change this; only a new policy can.';
  return { ...base, action, reason: `Wait: ${because}${note}${again}`, retryAt, waitFor };
}
