// Desired vs reported state of a device (mqtt.mdx "State"): the registry's desired_state, the
// device's last retained `state` (observed_state.reported), and the keys where they differ.
// One schema and one comparison for the API's readers and the browser's device page alike.
import { z } from 'zod';

/** The part of observed_state the ingest writes from a device's retained `state`. */
export const reportedStateSchema = z.looseObject({
  reported: z.record(z.string(), z.unknown()).optional(),
  reported_at: z.string().optional(),
  fw: z.string().optional(),
});

export interface StateDriftRow {
  key: string;
  desired: unknown;
  reported: unknown;
  /** desired but not (yet) reported as such; `missing` when the device never reported the key. */
  drift: 'same' | 'differs' | 'missing' | 'unmanaged';
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** One row per key of either side, desired keys first; `unmanaged`: reported, not desired. */
export function stateDrift(
  desired: Record<string, unknown>,
  observed: Record<string, unknown>,
): { rows: StateDriftRow[]; drifting: number; reportedAt: string | null } {
  const parsed = reportedStateSchema.safeParse(observed);
  const reported = (parsed.success ? parsed.data.reported : undefined) ?? {};
  const rows: StateDriftRow[] = Object.keys(desired)
    .sort()
    .map((key) => ({
      key,
      desired: desired[key],
      reported: reported[key],
      drift: !(key in reported) ? 'missing' : same(desired[key], reported[key]) ? 'same' : 'differs',
    }));
  for (const key of Object.keys(reported).sort())
    if (!(key in desired)) rows.push({ key, desired: undefined, reported: reported[key], drift: 'unmanaged' });
  return {
    rows,
    drifting: rows.filter((r) => r.drift === 'differs' || r.drift === 'missing').length,
    reportedAt: parsed.success ? (parsed.data.reported_at ?? null) : null,
  };
}
