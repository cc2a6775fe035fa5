// automation/schedules.yaml: when runner services queue runs by themselves. Cron syntax
// (cron-parser: 5 fields, or 6 with seconds first, or @daily…), in a time zone. Every runner
// computes the same slots; the API lets the first one to report a slot queue its runs
// (unique (schedule_id, fire_time)), so any number of runners fire each slot once.
import fs from 'node:fs';
import { CronExpressionParser } from 'cron-parser';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { locate } from '../../kernel/validation/yaml-locate.ts';
import { healthChecksJobSchema, scheduleIdSchema, SPEC_PATH_PATTERN } from '../../contracts/automation-runs.ts';
import { formatPath } from '../../contracts/execution-spec.ts';
import { safeParseNotingKeys, unknownKeyHint } from '../../contracts/unknown-keys.ts';

export const DEFAULT_SCHEDULES_FILE = 'automation/schedules.yaml';

function cronProblem(expr: string, tz: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (!expr.trim().startsWith('@') && fields.length !== 5 && fields.length !== 6) {
    return `expected 5 cron fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got ${fields.length}`;
  }
  try {
    CronExpressionParser.parse(expr, { tz });
    return undefined;
  } catch (err) {
    return `not a cron expression: ${(err as Error).message}`;
  }
}

function zoneProblem(tz: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return undefined;
  } catch {
    return `unknown time zone ${JSON.stringify(tz)}, expected an IANA name like UTC or Asia/Bangkok`;
  }
}

export const scheduleSchema = z
  .strictObject({
    id: scheduleIdSchema.describe('unique; names the slot in the database and the runs it queues'),
    description: z.string().max(500).optional(),
    cron: z.string().min(1).describe('"0 2 * * *" (02:00 every day), "0 6 * * 1" (Mondays 06:00), @daily …'),
    timezone: z.string().default('UTC').describe('the zone the cron fields are read in'),
    catch_up_s: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .default(3600)
      .describe('a slot missed while no runner was up still fires if a runner sees it within this many seconds'),
    enabled: z.boolean().default(true),
    spec: z
      .string()
      .regex(SPEC_PATH_PATTERN, 'expected a spec file under automation/specs/ (.yaml, .yml or .json)')
      .optional()
      .describe('one run of this spec per slot'),
    health_checks: healthChecksJobSchema
      .optional()
      .describe('one run per deployment in deployment_state: a device_up check per device, a ticket on failure'),
  })
  .superRefine((s, ctx) => {
    if ((s.spec === undefined) === (s.health_checks === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec'],
        message: 'expected exactly one of spec (a file under automation/specs/) or health_checks',
      });
    }
    const zone = zoneProblem(s.timezone);
    if (zone) ctx.addIssue({ code: 'custom', path: ['timezone'], message: zone });
    const cron = zone ? undefined : cronProblem(s.cron, s.timezone);
    if (cron) ctx.addIssue({ code: 'custom', path: ['cron'], message: cron });
  });

export const schedulesFileSchema = z
  .strictObject({
    schedules_version: z.literal(1, { error: 'expected schedules_version: 1' }),
    schedules: z.array(scheduleSchema).default([]),
  })
  .superRefine((f, ctx) => {
    const first = new Map<string, number>();
    f.schedules.forEach((s, i) => {
      const seen = first.get(s.id);
      if (seen === undefined) first.set(s.id, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['schedules', i, 'id'],
          message: `duplicate schedule id "${s.id}" (first used by schedules[${seen}])`,
        });
    });
  });

export type Schedule = z.output<typeof scheduleSchema>;

export type LoadedSchedules =
  { ok: true; file: string; schedules: Schedule[] } | { ok: false; file: string; problems: string[] };

/** Reads and validates a schedules file; problems read `file:line:column  message`. */
export function loadSchedules(file: string): LoadedSchedules {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return {
      ok: false,
      file,
      problems: [
        `${file}:1:1  cannot read the schedules file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      ],
    };
  }
  return parseSchedules(text, file);
}

export function parseSchedules(text: string, file: string): LoadedSchedules {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  if (doc.errors.length)
    return {
      ok: false,
      file,
      problems: doc.errors.map((e) => `${pos(e.pos[0])}  Unexpected YAML: ${e.message.split('\n')[0]}`),
    };
  const result = safeParseNotingKeys(schedulesFileSchema, doc.toJS() ?? {});
  if (result.success) return { ok: true, file, schedules: result.data.schedules };
  const problems = result.error.issues.map((i) => {
    const p = i.path as Array<string | number>;
    if (i.code === 'unrecognized_keys')
      return i.keys
        .map(
          (k) =>
            `${pos(locate(doc, [...p, k]))}  ${formatPath([...p, k])}: unexpected field "${k}"${unknownKeyHint(i, k)}`,
        )
        .join('\n');
    return `${pos(locate(doc, p))}  ${formatPath(p)}: ${i.message}`;
  });
  const at = (p: string) =>
    p
      .slice(file.length + 1)
      .split(':')
      .map(Number) as [number, number];
  const sorted = problems.flatMap((p) => p.split('\n')).sort((a, b) => at(a)[0] - at(b)[0] || at(a)[1] - at(b)[1]);
  return { ok: false, file, problems: sorted };
}

/** The latest slot at or before `now`, if it is still within the schedule's catch-up window. */
export function dueSlot(schedule: Schedule, now: Date, minWindowMs = 0): Date | null {
  if (!schedule.enabled) return null;
  const expr = CronExpressionParser.parse(schedule.cron, {
    currentDate: new Date(now.getTime() + 1),
    tz: schedule.timezone,
  });
  const slot = expr.prev().toDate();
  const window = Math.max(schedule.catch_up_s * 1000, minWindowMs);
  return now.getTime() - slot.getTime() <= window ? slot : null;
}

/** The next `count` slots after `from` (for `fleetbook runner --check`). */
export function nextSlots(schedule: Schedule, from: Date, count = 3): Date[] {
  const expr = CronExpressionParser.parse(schedule.cron, { currentDate: from, tz: schedule.timezone });
  return Array.from({ length: count }, () => expr.next().toDate());
}
