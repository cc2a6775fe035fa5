// Tutorial progress (domain.md): a person (the principal name) completes steps of a track.
// Tracks and steps come from the docs (`docs/tutorials/<track>/` pages with `kind: tutorial`,
// read through the runbook catalog); progress rows are kept per person, track and step.
import type { Kysely } from 'kysely';
import { recordAudit } from '../../kernel/audit/service.ts';
import type { Principal } from '../../kernel/auth/roles.ts';
import { emitChange } from '../../kernel/changes/service.ts';
import type { RunbookInfo, TutorialProgress, TutorialTrack } from '../../contracts/executions.ts';
import type { Database } from '../../kernel/db/index.ts';
import { ApiError, forbidden } from '../../kernel/errors/index.ts';
import { iso } from '../../kernel/db/values.ts';
import type { RunbookCatalog } from '../catalog.ts';

type Db = Kysely<Database>;

/** Whose progress a request reads: the caller's own, or (admins only) `person`. */
export function personFor(who: Principal, person?: string): string {
  if (person === undefined || person === who.name) return who.name;
  if (who.role !== 'admin')
    throw forbidden(`${who.name} may read only their own tutorial progress: only an admin may pass person=${person}`);
  return person;
}

function trackOf(catalog: RunbookCatalog, track: string): RunbookInfo[] {
  const steps = catalog.tracks().get(track);
  if (!steps)
    throw new ApiError(
      'not_found',
      `tutorial track ${track} not found: tracks are the folders of docs/tutorials/ with kind: tutorial pages`,
    );
  return steps;
}

async function view(db: Db, person: string, track: string, steps: RunbookInfo[]): Promise<TutorialTrack> {
  const rows = await db
    .selectFrom('tutorial_progress')
    .selectAll()
    .where('person', '=', person)
    .where('track', '=', track)
    .execute();
  const done = new Map(rows.map((r) => [r.step, r]));
  const items = steps.map((s) => ({
    step: s.step!,
    id: s.id,
    title: s.title,
    url: s.url,
    estimated_minutes: s.estimated_minutes,
    completed_at: iso(done.get(s.step!)?.completed_at ?? null),
  }));
  return {
    track,
    person,
    steps: items,
    progress: { checked: items.filter((i) => i.completed_at).length, total: items.length },
  };
}

export async function getTrackProgress(
  db: Db,
  catalog: RunbookCatalog,
  who: Principal,
  track: string,
  person?: string,
): Promise<TutorialTrack> {
  return view(db, personFor(who, person), track, trackOf(catalog, track));
}

export async function getProgress(
  db: Db,
  catalog: RunbookCatalog,
  who: Principal,
  person?: string,
): Promise<TutorialProgress> {
  const name = personFor(who, person);
  const tracks: TutorialTrack[] = [];
  for (const [track, steps] of catalog.tracks()) tracks.push(await view(db, name, track, steps));
  return { person: name, tracks };
}

/** Marks a step done (`done`) or not done for the caller; idempotent. */
export async function setStep(
  db: Db,
  catalog: RunbookCatalog,
  who: Principal,
  track: string,
  step: number,
  done: boolean,
): Promise<TutorialTrack> {
  const steps = trackOf(catalog, track);
  const page = steps.find((s) => s.step === step);
  if (!page)
    throw new ApiError('not_found', `tutorial track ${track} has no step ${step} (it has steps 1–${steps.length})`);
  await db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('tutorial_progress')
      .selectAll()
      .where('person', '=', who.name)
      .where('track', '=', track)
      .where('step', '=', step)
      .executeTakeFirst();
    if (done === !!before) return;
    if (done) {
      await trx.insertInto('tutorial_progress').values({ person: who.name, track, step, page_id: page.id }).execute();
    } else {
      await trx
        .deleteFrom('tutorial_progress')
        .where('person', '=', who.name)
        .where('track', '=', track)
        .where('step', '=', step)
        .execute();
    }
    const entry = { person: who.name, track, step, page_id: page.id, done };
    await recordAudit(trx, who, {
      action: done ? 'step_done' : 'step_undone',
      entity: 'tutorial_progress',
      entityId: `${who.name}/${track}/${step}`,
      customerId: null,
      ...(done ? { after: entry } : { before: entry }),
    });
    await emitChange(trx, {
      type: done ? 'tutorial.step_done' : 'tutorial.step_undone',
      subject: { type: 'tutorial', id: track },
      customerId: who.customerId,
      payload: entry,
    });
  });
  return view(db, who.name, track, steps);
}
