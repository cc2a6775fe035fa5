// Pure: /api/v1/uptime answers → group key → uptime %. Tolerant of the field names, since
// the endpoint is built beside us; the one fact relied on: one entry per group, a percentage.

export function normaliseUptime(body: unknown, groupBy: string): Map<string, number> {
  const out = new Map<string, number>();
  const items: unknown[] = Array.isArray(body) ? body : Array.isArray((body as { items?: unknown[] })?.items) ? (body as { items: unknown[] }).items : Array.isArray((body as { groups?: unknown[] })?.groups) ? (body as { groups: unknown[] }).groups : [];
  for (const raw of items) {
    if (!raw || typeof raw !== 'object') continue;
    const item = raw as Record<string, unknown>;
    const key = [item[`${groupBy}_id`], item.key, item.id, item.group].find((v): v is string => typeof v === 'string');
    let pct = [item.uptime_pct, item.uptime_percent, item.percent].find((v): v is number => typeof v === 'number');
    if (pct === undefined && typeof item.uptime === 'number') pct = item.uptime <= 1 ? item.uptime * 100 : item.uptime;
    if (pct === undefined && typeof item.ratio === 'number') pct = item.ratio * 100;
    if (key && pct !== undefined) out.set(key, pct);
  }
  return out;
}
