// notifications/contact-points.yaml on its own (for `fleetbook notify test`, which must work
// while rules.yaml is still being written): parsed, validated, every problem at its line, in the
// words of the full three-file check (`loadNotificationConfig`, notifications/rules.ts).
import fs from 'node:fs';
import type { ContactPoint } from '../../contracts/notification-channels.ts';
import { checkContactPoints, formatDiagnostic, parseYaml, type Diagnostic } from '../rules.ts';

export type ContactPointsRead = { ok: true; points: ContactPoint[] } | { ok: false; problems: string[] };

/** Reads and checks a contact-points file; problems as `file:line:column  message  rule` lines. */
export function readContactPointsFile(file: string, display = file): ContactPointsRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [`${display}: cannot read it: ${(err as Error).message}`] };
  }
  const out: Diagnostic[] = [];
  const parsed = parseYaml(text, display, out);
  const points = parsed && checkContactPoints(parsed, out);
  const errors = out.filter((d) => d.severity === 'error').sort((a, b) => a.line - b.line || a.column - b.column);
  if (points && !errors.length) return { ok: true, points: points.contact_points };
  return { ok: false, problems: errors.map(formatDiagnostic) };
}
