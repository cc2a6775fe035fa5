// notifications/contact-points.yaml on its own (for `fleetbook notify test`, which must work
// while rules.yaml is still being written): parsed, validated, every problem at its line.
// The full three-file check is `loadNotificationConfig` (notifications/rules.ts).
import fs from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { contactPointsFileSchema, type ContactPoint } from '../../contracts/notification-channels.ts';
import { formatPath } from '../../kernel/errors/index.ts';
import { locate } from '../../kernel/validation/yaml-locate.ts';
import { formatDiagnostic } from '../rules.ts';

export type ContactPointsRead = { ok: true; points: ContactPoint[] } | { ok: false; problems: string[] };

/** Reads and checks a contact-points file; problems as `file:line:column  message  rule` lines. */
export function readContactPointsFile(file: string, display = file): ContactPointsRead {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { ok: false, problems: [`${display}: cannot read it: ${(err as Error).message}`] };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { file: display, line, column: col, severity: 'error' as const };
  };
  if (doc.errors.length) {
    const problems = doc.errors.map((e) =>
      formatDiagnostic({
        ...at(e.pos[0]),
        rule: 'notifications/yaml',
        message: `Unexpected YAML: ${e.message.split('\n')[0]}`,
      }),
    );
    return { ok: false, problems };
  }
  const parsed = contactPointsFileSchema.safeParse(doc.toJS() ?? {});
  if (parsed.success) return { ok: true, points: parsed.data.contact_points };
  const problems = parsed.error.issues.map((issue) => {
    const secret = issue.message.includes('must not be written inline');
    const where = issue.path.length ? `${formatPath(issue.path)}: ` : '';
    const message = issue.message.startsWith(String(issue.path.at(-1)))
      ? `${formatPath(issue.path.slice(0, -1))}.${issue.message}`
      : `${where}${issue.message}`;
    return formatDiagnostic({
      ...at(locate(doc, issue.path)),
      rule: secret ? 'notifications/inline-secret' : 'notifications/schema',
      message,
    });
  });
  return { ok: false, problems };
}
