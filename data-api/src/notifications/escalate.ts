// Escalation of one group at one flush: which steps are due (delays counted from the group's
// first message, while an alert of it is unacknowledged), who must hear of alerts that joined
// since, when the whole escalation repeats, and where resolved messages go (exactly where the
// firing ones went). A pure function of the group's state: group.ts persists what it decides.

export interface Step {
  afterMs: number;
  contactPoints: string[];
}

export interface GroupClock {
  cycle: number;
  cycleStartedAt: number | null;
  /** The last step fired in this cycle; -1: none yet. */
  step: number;
  lastSentAt: number | null;
}

export interface Member {
  alertId: string;
  state: 'open' | 'acknowledged' | 'resolved';
  /** Contact points told that it fires. */
  told: string[];
  resolvedSent: boolean;
  /** Silenced, inhibited or muted by maintenance right now. */
  suppressed: boolean;
}

export interface Message {
  contactPoint: string;
  step: number;
  status: 'firing' | 'resolved';
  alertIds: string[];
}

export interface Plan {
  messages: Message[];
  clock: GroupClock;
  /** Epoch ms of the next flush, or null: nothing to wait for. */
  nextFlushAt: number | null;
  /** Alerts to add to each contact point's "told" list. */
  told: Map<string, Set<string>>;
  resolvedSent: string[];
  /** Members the group can forget (resolved, and told so or never told). */
  done: string[];
}

export interface Policy {
  steps: Step[];
  /** Run the steps again from the first every repeatMs while unacknowledged; else repeat the last one. */
  cycle: boolean;
  repeatMs: number;
  groupIntervalMs: number;
}

export function planFlush(clock: GroupClock, members: Member[], policy: Policy, now: number): Plan {
  const next: GroupClock = { ...clock };
  const messages: Message[] = [];
  const told = new Map<string, Set<string>>();
  const firing = members.filter((m) => m.state === 'open' && !m.suppressed);
  const firingIds = firing.map((m) => m.alertId);
  const tell = (contactPoint: string, step: number) => {
    messages.push({ contactPoint, step, status: 'firing', alertIds: firingIds });
    const set = told.get(contactPoint) ?? new Set<string>();
    for (const id of firingIds) set.add(id);
    told.set(contactPoint, set);
  };
  const last = policy.steps.length - 1;
  let nextFlushAt: number | null = null;

  if (firing.length) {
    if (next.cycleStartedAt === null) {
      next.cycleStartedAt = now;
      next.step = -1;
    }
    const repeatDue = next.step === last && next.lastSentAt !== null && now - next.lastSentAt >= policy.repeatMs;
    const messaged = new Set<string>();
    if (repeatDue && policy.cycle && last > 0) {
      next.cycle += 1;
      next.cycleStartedAt = now;
      next.step = -1;
    } else if (repeatDue) {
      for (const cp of policy.steps[last]!.contactPoints) {
        tell(cp, last);
        messaged.add(cp);
      }
    }
    for (let k = next.step + 1; k <= last; k++) {
      if (next.cycleStartedAt + policy.steps[k]!.afterMs > now) break;
      for (const cp of policy.steps[k]!.contactPoints) {
        if (messaged.has(cp)) continue;
        tell(cp, k);
        messaged.add(cp);
      }
      next.step = k;
    }
    // Everyone told in this cycle hears of alerts that joined the group since.
    for (let k = 0; k <= next.step; k++) {
      for (const cp of policy.steps[k]!.contactPoints) {
        if (messaged.has(cp)) continue;
        if (firing.some((m) => !m.told.includes(cp))) {
          tell(cp, k);
          messaged.add(cp);
        }
      }
    }
    if (messages.length) next.lastSentAt = now;
    const upcoming = next.step < last ? next.cycleStartedAt + policy.steps[next.step + 1]!.afterMs : Infinity;
    const repeat = next.lastSentAt !== null ? next.lastSentAt + policy.repeatMs : Infinity;
    nextFlushAt = Math.min(upcoming, repeat);
  } else {
    // Nothing unacknowledged fires: the escalation stops; a new alert starts it afresh.
    next.cycleStartedAt = null;
    next.step = -1;
  }

  const resolvedSent: string[] = [];
  const byPoint = new Map<string, string[]>();
  for (const m of members) {
    if (m.state !== 'resolved' || m.resolvedSent || !m.told.length) continue;
    resolvedSent.push(m.alertId);
    for (const cp of m.told) byPoint.set(cp, [...(byPoint.get(cp) ?? []), m.alertId]);
  }
  for (const [contactPoint, alertIds] of byPoint)
    messages.push({ contactPoint, step: Math.max(0, next.step), status: 'resolved', alertIds });

  // Silenced or inhibited alerts are looked at again each interval: a silence ends, a gateway comes back.
  if (members.some((m) => m.state === 'open' && m.suppressed))
    nextFlushAt = Math.min(nextFlushAt ?? Infinity, now + Math.max(policy.groupIntervalMs, 1000));
  if (nextFlushAt === Infinity) nextFlushAt = null;
  const done = members
    .filter((m) => m.state === 'resolved' && (m.resolvedSent || resolvedSent.includes(m.alertId) || !m.told.length))
    .map((m) => m.alertId);
  return { messages, clock: next, nextFlushAt, told, resolvedSent, done };
}
