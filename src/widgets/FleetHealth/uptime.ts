// Pure: the /api/v1/uptime answer (parsed with its contract) → group key → uptime %.
import type { Uptime } from '../../../data-api/src/contracts/uptime.ts';

/** Groups with no monitored time have no figure: they show "no data", never 0 %. */
export function uptimeByGroup(uptime: Uptime): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of uptime.items) if (item.uptime_pct !== null) out.set(item.id, item.uptime_pct);
  return out;
}
