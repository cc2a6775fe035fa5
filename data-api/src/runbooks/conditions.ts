// Checklist items with `when:` (runbooks.md, issue 16): decided once, when an execution starts,
// over its deployment, site and product. Items whose condition is false are left out of the
// execution's snapshot (so they neither show nor block their gate) and listed with the value
// the condition gave; a gate left without items is left out with them.
import type { Kysely } from 'kysely';
import { buildConditionData, conditionText, evaluateCondition, type ConditionData } from '../contracts/condition.ts';
import type { Gate } from '../contracts/runbook.ts';
import type { Database } from '../kernel/db/index.ts';
import { toDeployment } from '../registry/deployments.ts';
import { listProducts } from '../registry/products.ts';
import { toSite } from '../registry/sites.ts';

export interface SkippedItem {
  gate_id: string;
  item_id: string;
  condition: string;
  value: unknown;
}

/** The registry rows a condition reads, for one deployment. */
export async function conditionDataFor(db: Kysely<Database>, deploymentId: string): Promise<ConditionData> {
  const dep = await db.selectFrom('deployments').selectAll().where('id', '=', deploymentId).executeTakeFirst();
  const site = dep
    ? await db.selectFrom('sites').selectAll().where('id', '=', dep.site_id).executeTakeFirst()
    : undefined;
  const [product] = dep ? await listProducts(db, dep.product_code) : [];
  return buildConditionData({
    deployment: dep ? (toDeployment(dep) as unknown as Record<string, unknown>) : null,
    site: site ? (toSite(site) as unknown as Record<string, unknown>) : null,
    product: product ?? null,
  });
}

export function applicableGates(
  gates: readonly Gate[],
  data: ConditionData,
): { gates: Gate[]; skipped: SkippedItem[] } {
  const skipped: SkippedItem[] = [];
  const kept: Gate[] = [];
  for (const gate of gates) {
    const checklist = gate.checklist.filter((item) => {
      if (item.when === undefined) return true;
      let verdict: { value: unknown; passed: boolean };
      try {
        verdict = evaluateCondition(item.when, data);
      } catch {
        // The lint refuses bad conditions; one that still throws keeps its item (never hide work by accident).
        return true;
      }
      if (!verdict.passed)
        skipped.push({ gate_id: gate.id, item_id: item.id, condition: conditionText(item.when), value: verdict.value });
      return verdict.passed;
    });
    if (checklist.length > 0) kept.push({ ...gate, checklist });
  }
  return { gates: kept, skipped };
}
