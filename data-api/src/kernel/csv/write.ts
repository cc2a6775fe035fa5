import type { z } from 'zod';

/**
 * The columns of a list's CSV: the item schema's fields in its order, a nested object's fields as
 * `subject.type`, `subject.id` (a spreadsheet filters on them); maps and arrays stay one JSON cell.
 */
export function columnsOf(item: z.ZodType, prefix = ''): string[] {
  const shape = shapeOf(item);
  if (!shape) throw new Error('CSV columns come from an object schema');
  return Object.entries(shape).flatMap(([key, field]) =>
    shapeOf(field) ? columnsOf(field, `${prefix}${key}.`) : [`${prefix}${key}`],
  );
}

/** The value of a column (`subject.id`) in a row. */
export function valueAt(row: unknown, column: string): unknown {
  return column
    .split('.')
    .reduce<unknown>((v, key) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), row);
}

const shapeOf = (schema: z.ZodType): Record<string, z.ZodType> | undefined =>
  (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;

/**
 * One RFC 4180 line (CRLF). Nested values are JSON in one cell; null is an empty cell. A text
 * cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first) gets a leading `'`
 * (OWASP's CSV-injection rule); numbers are written as numbers.
 */
export function csvLine(values: unknown[]): string {
  return values.map(cell).join(',') + '\r\n';
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text: string;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') text = String(value);
  else if (value instanceof Date) text = value.toISOString();
  else if (typeof value === 'string') text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  else text = JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
