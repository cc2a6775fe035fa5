// POST /runbook-executions/:id/items/:item_id/check: runs an item's `auto_check` server-side
// and records the verdict (runbooks.md "auto_check"). The target is the runbook's own (the
// execution's snapshot), templates filled in from the registry (targets.ts); the request names
// nothing but the item.
import type { Kysely } from 'kysely';
import type { AutoCheckResult } from '../../contracts/executions.ts';
import type { Principal } from '../../kernel/auth/roles.ts';
import type { Database } from '../../kernel/db/index.ts';
import { iso } from '../../kernel/db/values.ts';
import { conflict } from '../../kernel/errors/index.ts';
import type { BrokerHandle } from '../../telemetry/broker/index.ts';
import { autoCheckNote, precheckAutoCheck, recordAutoCheck } from '../service.ts';
import { parseHostPort } from '../../contracts/probe-target.ts';
import { probeHttp, probeMqtt, probeTcp, probeUdp, PROBE_TIMEOUT_MS, type ProbeOutcome } from './probes.ts';
import { probeOf, resolveTarget, type ProbeTarget } from './targets.ts';

export interface AutoCheckDeps {
  db: Kysely<Database>;
  broker: BrokerHandle | null;
}

/** device_up: the registry says the device is up (the health monitor marks it down when its heartbeats stop). */
async function probeDeviceUp(db: Kysely<Database>, deviceId: string, customerId: string): Promise<ProbeOutcome> {
  const device = await db
    .selectFrom('devices')
    .select(['id', 'status', 'last_seen', 'customer_id'])
    .where('id', '=', deviceId)
    .executeTakeFirst();
  if (!device || device.customer_id !== customerId)
    return { passed: false, detail: `device ${deviceId} is not in the registry of this execution's customer` };
  const seen = device.last_seen ? `last seen ${iso(device.last_seen)}` : 'never seen';
  return device.status === 'up'
    ? { passed: true, detail: `device ${deviceId} is up (${seen})` }
    : { passed: false, detail: `device ${deviceId} is ${device.status} (${seen})` };
}

async function runProbe(deps: AutoCheckDeps, t: ProbeTarget, customerId: string): Promise<ProbeOutcome> {
  switch (t.probe) {
    case 'tcp':
    case 'udp': {
      const hp = parseHostPort(t.target);
      if (!hp) throw conflict(`auto_check ${t.probe} target ${t.target} (from ${t.template}) is not host:port`);
      return t.probe === 'tcp' ? probeTcp(hp.host, hp.port) : probeUdp(hp.host, hp.port);
    }
    case 'http':
      return probeHttp(t.target);
    case 'mqtt':
      if (/[+#]/.test(t.target)) throw conflict(`auto_check mqtt topic ${t.target} must name one topic (no + or #)`);
      return probeMqtt(deps.broker, t.target);
    case 'device_up':
      return probeDeviceUp(deps.db, t.target, customerId);
  }
}

export async function checkItem(
  deps: AutoCheckDeps,
  who: Principal,
  executionId: string,
  itemId: string,
  ifVersion: number | undefined,
): Promise<AutoCheckResult> {
  const { execution, item } = await precheckAutoCheck(deps.db, who, executionId, itemId, ifVersion);
  const target = await resolveTarget(deps.db, execution, probeOf(item)!);
  const outcome = await runProbe(deps, target, execution.customer_id);
  const verdict = { ...target, passed: outcome.passed, detail: outcome.detail };
  const recorded = await recordAutoCheck(deps.db, who, executionId, itemId, verdict, ifVersion);
  return {
    ...verdict,
    note: autoCheckNote(verdict),
    at: new Date().toISOString(),
    execution: recorded.execution,
    item: recorded.item,
  };
}

export { PROBE_TIMEOUT_MS };
