import fs from 'node:fs';
import path from 'node:path';
import { parseJsonc } from '../../data-api/src/automation/gateway/jsonc.ts';

export const PEERS = path.resolve(__dirname, '../fixtures/peers');

/** A Semtech reference file (JSON with C comments), parsed. */
export function reference(file: string): Record<string, unknown> {
  return parseJsonc(fs.readFileSync(path.join(PEERS, file), 'utf8')).value as Record<string, unknown>;
}

export interface Difference {
  kind: 'missing' | 'extra' | 'changed';
  path: string;
  ours?: unknown;
  reference?: unknown;
}

/**
 * Flattens a global_conf.json to `path → leaf value`. TX gain tables are keyed by their
 * rf_power (`…tx_gain_lut@14.pwr_idx`, `SX1301_conf.tx_lut@14.mix_gain`): an entry is then
 * compared with Semtech's entry for the same power, wherever it sits in the table.
 */
export function flatten(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (Array.isArray(value)) {
    const byPower = prefix.endsWith('tx_gain_lut');
    value.forEach((v, i) =>
      flatten(v, byPower ? `${prefix}@${(v as { rf_power: number }).rf_power}` : `${prefix}[${i}]`, out),
    );
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      const lut = /^tx_lut_\d+$/.test(k) ? `tx_lut@${(v as { rf_power: number }).rf_power}` : k;
      flatten(v, prefix ? `${prefix}.${lut}` : lut, out);
    }
  } else out.set(prefix, value);
  return out;
}

export function diffConf(ours: unknown, ref: unknown): Difference[] {
  const a = flatten(ours);
  const b = flatten(ref);
  const out: Difference[] = [];
  for (const [p, v] of b) {
    if (!a.has(p)) out.push({ kind: 'missing', path: p, reference: v });
    else if (a.get(p) !== v) out.push({ kind: 'changed', path: p, ours: a.get(p), reference: v });
  }
  for (const [p, v] of a) if (!b.has(p)) out.push({ kind: 'extra', path: p, ours: v });
  return out;
}
