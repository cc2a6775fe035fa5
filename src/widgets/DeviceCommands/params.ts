// The form's text → a command's params (pure: the widget and its tests share it).
import type { CommandParam } from '../../../data-api/src/contracts/catalog.ts';

/** What a param's input holds: text for numbers and strings, 'true'/'false'/'' for booleans. */
export type FieldValues = Record<string, string>;

/**
 * Params as the API takes them: an empty field is left out (the shared rule then says "missing
 * param" when it is required); a number field that is not a number is sent as its text, so the
 * rule words the problem ("expected a number") the way the API would.
 */
export function paramsOf(declared: readonly CommandParam[], values: FieldValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of declared) {
    const raw = (values[p.name] ?? '').trim();
    if (raw === '') continue;
    if (p.type === 'boolean') out[p.name] = raw === 'true';
    else if (p.type === 'number' || p.type === 'integer') {
      const n = Number(raw);
      out[p.name] = Number.isFinite(n) ? n : raw;
    } else out[p.name] = values[p.name];
  }
  return out;
}
