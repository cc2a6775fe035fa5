import type { FastifyRequest } from 'fastify';

/**
 * True when the caller asked for CSV (`Accept: text/csv`) at least as much as for JSON. A
 * browser's `*\/*` or a missing header keeps JSON: CSV is only ever chosen by name.
 */
export function wantsCsv(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (!accept) return false;
  let csv = -1;
  let json = -1;
  accept.split(',').forEach((part, index) => {
    const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    const qParam = params.find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if (!(q > 0)) return;
    // Equal q: the earlier one wins (a tiny tie-break by position).
    const weight = q - index * 1e-6;
    if (type === 'text/csv') csv = Math.max(csv, weight);
    else if (type === 'application/json') json = Math.max(json, weight);
  });
  return csv > 0 && csv >= json;
}
