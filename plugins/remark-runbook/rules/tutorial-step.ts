import type { RunbookFile, SiteRule } from '../types.ts';
import { firstClaims, isObj, q } from './util.ts';

export const tutorialStep: SiteRule = {
  id: 'runbook/tutorial-step',
  severity: 'error',
  scope: 'site',
  description:
    'Tutorial steps of a track count 1, 2, 3… with no gap and no repeat; a track lives in docs/tutorials/<track>/.',
  check({ files, tutorialsDir, report }) {
    const dir = tutorialsDir.replace(/^\.\//, '').replace(/\/+$/, '');
    const tracks = new Map<string, { file: RunbookFile; step: number }[]>();
    for (const file of files) {
      const d = file.data;
      if (!isObj(d) || d.kind !== 'tutorial' || typeof d.track !== 'string') continue;
      if (file.path.startsWith(`${dir}/`)) {
        const rest = file.path.slice(dir.length + 1).split('/');
        const folder = rest.length > 1 ? rest[0]! : null;
        if (folder !== d.track) {
          const expected = folder
            ? `${q(folder)} (the folder ${dir}/${folder}/)`
            : `the page in its track folder ${dir}/${d.track}/`;
          report(file, `Unexpected track ${q(d.track)}, expected ${expected}`, file.locate(['track']));
        }
      }
      if (typeof d.step !== 'number' || !Number.isInteger(d.step) || d.step < 1) continue;
      const list = tracks.get(d.track) ?? [];
      list.push({ file, step: d.step });
      tracks.set(d.track, list);
    }
    for (const [track, steps] of tracks) {
      const first = firstClaims(
        steps.map(({ file, step }) => [step, file] as const),
        'step',
        report,
        (step, where) =>
          `Unexpected duplicate step ${step} in track ${q(track)}, expected each step once (first in ${where})`,
      );
      let prev = 0;
      for (const step of [...first.keys()].sort((a, b) => a - b)) {
        const file = first.get(step)!;
        if (step !== prev + 1)
          report(
            file,
            `Unexpected step ${step} in track ${q(track)}, expected step ${prev + 1} (steps count 1, 2, 3… without gaps)`,
            file.locate(['step']),
          );
        prev = step;
      }
    }
  },
};
