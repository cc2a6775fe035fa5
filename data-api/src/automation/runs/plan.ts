// The dry-run plan of a spec file, as a project page shows it before "Queue run": the step
// tree, what each `when` decides over the registry now, which secret references cannot be
// resolved. Secrets are checked against this server's environment (the embedded runner's);
// a runner elsewhere has its own, and its own dry run (`fleetbook run --dry-run`) says so there.
import type { Kysely } from 'kysely';
import type { Principal } from '../../kernel/auth/roles.ts';
import type { AutomationPlan } from '../../contracts/automation-runs.ts';
import { planRun } from '../runner.ts';
import { specDigest } from '../spec-file.ts';
import { stepTree, stepTreeMermaid } from '../../contracts/step-tree.ts';
import type { Database } from '../../kernel/db/index.ts';
import { findDeployment } from '../../registry/lookups.ts';
import { conditionDataFor } from '../../runbooks/conditions.ts';
import { loadRepoSpec } from './specs.ts';

export async function planSpecFile(
  db: Kysely<Database>,
  who: Principal,
  root: string,
  specPath: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AutomationPlan> {
  const spec = loadRepoSpec(root, specPath, 'body.spec_path');
  await findDeployment(db, who, spec.deployment_id); // 404 / tenant scope, like queueing it
  const steps = planRun(spec, { env, context: await conditionDataFor(db, spec.deployment_id) });
  const tree = stepTree(spec.actions);
  const skipped = steps.filter((s) => s.condition?.verdict === 'skipped').map((s) => s.id);
  const states = Object.fromEntries(skipped.map((id) => [id, 'skipped']));
  return {
    spec_path: specPath,
    project: spec.project,
    deployment_id: spec.deployment_id,
    spec_digest: specDigest(spec),
    mode: tree.mode,
    max_parallel: spec.max_parallel,
    mermaid: stepTreeMermaid(tree, states),
    steps: steps.map((s) => ({
      id: s.id,
      type: s.type,
      needs: s.needs,
      lines: s.lines,
      timeout_s: s.timeout_s,
      attempts: s.attempts,
      condition: s.condition
        ? {
            text: s.condition.text,
            verdict: s.condition.verdict,
            ...(s.condition.value !== undefined ? { value: s.condition.value as never } : {}),
          }
        : null,
      missing_secrets: s.missingSecrets,
    })),
    missing_secrets: steps.reduce((n, s) => n + s.missingSecrets.length, 0),
    skipped,
  };
}
