import { CompiledQuery, type Kysely } from 'kysely';

/** A node of PostgreSQL's EXPLAIN (FORMAT JSON) plan, with the fields the tests read. */
export interface PlanNode {
  'Node Type': string;
  'Actual Rows'?: number;
  'Rows Removed by Join Filter'?: number;
  Plans?: PlanNode[];
}

/** The plan and every node below it. */
export function* planNodes(node: PlanNode): Generator<PlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* planNodes(child);
}

/**
 * Runs a statement under EXPLAIN ANALYZE and returns its plan, in a transaction that is rolled
 * back: what the statement wrote is gone again, and the plan is the one it really ran.
 */
export async function explainAnalyze<DB>(db: Kysely<DB>, compiled: CompiledQuery): Promise<PlanNode> {
  return db
    .transaction()
    .execute(async (trx) => {
      const r = await trx.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
        CompiledQuery.raw(`explain (analyze, format json) ${compiled.sql}`, [...compiled.parameters]),
      );
      throw Object.assign(new Error('rollback'), { plan: r.rows[0]!['QUERY PLAN'][0]!.Plan });
    })
    .catch((err: Error & { plan?: PlanNode }) => {
      if (!err.plan) throw err;
      return err.plan;
    });
}
