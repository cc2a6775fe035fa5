import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TutorialProgress, TutorialTrack } from '../../data-api/src/contracts/executions.ts';
import { createTestApp, type TestApp } from '../helpers/app.ts';
import { bearer, client, must, type Client } from '../helpers/registry.ts';

// runbooks.md "Products, tutorials, firmware": tutorial tracks are ordered steps with a
// `track` frontmatter; a person's progress is kept by the API and shown on the track page.
// domain.md: tutorial progress = person, track, step, completed at. A person = the principal.
describe('tutorial progress API', () => {
  let t: TestApp;
  let ana: Client, ben: Client, admin: Client, anon: Client;

  beforeAll(async () => {
    t = await createTestApp({ auth: { openReads: true, proxy: null } });
    ana = client(t.app, await bearer(t.ctx.db, 'viewer', null, 'ana'));
    ben = client(t.app, await bearer(t.ctx.db, 'operator', null, 'ben'));
    admin = client(t.app, await bearer(t.ctx.db, 'admin', null, 'root'));
    anon = client(t.app, null, { remoteAddress: '127.0.0.1' });
  });
  afterAll(async () => t?.close());

  it('lists the tracks read from docs/tutorials with their steps in order', async () => {
    const all: TutorialProgress = await must(ana.get('/tutorial-progress'), 200);
    expect(all.person).toBe('ana');
    const basics = all.tracks.find((x) => x.track === 'fleetbook-basics')!;
    expect(basics.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(basics.steps[4]).toMatchObject({
      id: 'tut-basics-5-execute-a-runbook',
      url: '/docs/tutorials/fleetbook-basics/tut-basics-5-execute-a-runbook',
      completed_at: null,
    });
    expect(basics.progress).toEqual({ checked: 0, total: 6 });
  });

  it('marks steps done and undone per person, idempotently, with audit and change events', async () => {
    const one: TutorialTrack = await must(ana.put('/tutorial-progress/fleetbook-basics/steps/1', undefined), 200);
    expect(one.steps[0]!.completed_at).not.toBeNull();
    await must(ana.put('/tutorial-progress/fleetbook-basics/steps/1', undefined), 200);
    await must(ana.put('/tutorial-progress/fleetbook-basics/steps/2', undefined), 200);
    const mine: TutorialTrack = await must(ana.get('/tutorial-progress/fleetbook-basics'), 200);
    expect(mine.progress).toEqual({ checked: 2, total: 6 });
    const his: TutorialTrack = await must(ben.get('/tutorial-progress/fleetbook-basics'), 200);
    expect(his.progress.checked).toBe(0);

    const undone: TutorialTrack = await must(ana.del('/tutorial-progress/fleetbook-basics/steps/2'), 200);
    expect(undone.progress.checked).toBe(1);
    const audit = await t.ctx.db
      .selectFrom('audit_log')
      .select(['actor', 'action'])
      .where('entity', '=', 'tutorial_progress')
      .orderBy('id')
      .execute();
    expect(audit.map((a) => `${a.actor}:${a.action}`)).toEqual(['ana:step_done', 'ana:step_done', 'ana:step_undone']);
    const events = await t.ctx.db
      .selectFrom('change_events')
      .select('type')
      .where('subject_type', '=', 'tutorial')
      .orderBy('id')
      .execute();
    expect(events.map((e) => e.type)).toEqual(['tutorial.step_done', 'tutorial.step_done', 'tutorial.step_undone']);
  });

  it('unknown tracks and steps are 404; a bad step is 400; writes need a token', async () => {
    expect((await ana.put('/tutorial-progress/no-such-track/steps/1', undefined)).statusCode).toBe(404);
    const missing = await ana.put('/tutorial-progress/fleetbook-basics/steps/7', undefined);
    expect(missing.statusCode).toBe(404);
    expect(missing.json().message).toContain('has no step 7');
    expect((await ana.put('/tutorial-progress/fleetbook-basics/steps/zero', undefined)).statusCode).toBe(400);
    expect((await anon.put('/tutorial-progress/fleetbook-basics/steps/1', undefined)).statusCode).toBe(401);
    // An open localhost read sees the tracks (with nobody's progress).
    expect((await must(anon.get('/tutorial-progress/fleetbook-basics'), 200)).person).toBe('localhost');
  });

  it('only an admin reads someone else’s progress', async () => {
    expect((await ben.get('/tutorial-progress?person=ana')).statusCode).toBe(403);
    const seen: TutorialProgress = await must(admin.get('/tutorial-progress?person=ana'), 200);
    expect(seen.person).toBe('ana');
    expect(seen.tracks.find((x) => x.track === 'fleetbook-basics')!.progress.checked).toBe(1);
  });
});
