// `/docs/projects/<project>/runs`: the runs of the last fold days, newest first, and the folded
// months (data: plugins/run-pages, from runs/index.jsonl).
import React, { type ReactNode } from 'react';
import Layout from '@theme/Layout';
import type { ProjectRuns } from '../../../plugins/run-pages/index.ts';
import { RunRows } from './RunRows.tsx';

export default function RunIndex({ runs }: { runs: ProjectRuns }): ReactNode {
  const failed = runs.total - runs.succeeded;
  return (
    <Layout
      title={`Automation runs: ${runs.project}`}
      description={`Every automation run of ${runs.project}, newest first.`}
    >
      <main className="container margin-vert--lg">
        <article className="markdown" data-testid="run-index">
          <h1>Automation runs: {runs.project}</h1>
          {runs.total === 0 ? (
            <p>No runs yet.</p>
          ) : (
            <p>
              {runs.total} run{runs.total === 1 ? '' : 's'}, {runs.succeeded} succeeded, {failed} failed; newest first.
              {runs.foldedBefore &&
                runs.months.length > 0 &&
                ` Runs from ${runs.foldedBefore} on have their own page; older runs are listed one month per page (their pages stay in git).`}
            </p>
          )}
          {runs.recent.length > 0 && <RunRows rows={runs.recent} />}
          {runs.months.length > 0 && (
            <>
              <h2>Earlier months</h2>
              <ul>
                {runs.months.map((m) => (
                  <li key={m.month}>
                    {/* A plain link: Docusaurus's broken-link check takes a parameter route's literal path for its only page. */}
                    <a href={`/docs/projects/${runs.project}/runs/archive/${m.month}`}>{m.month}</a>: {m.runs} run
                    {m.runs === 1 ? '' : 's'}
                    {m.failed > 0 ? `, ${m.failed} failed` : ''}
                  </li>
                ))}
              </ul>
            </>
          )}
        </article>
      </main>
    </Layout>
  );
}
