// Every rule, in the order their ids are documented (docs/contracts/runbooks.mdx).
import type { FileRule, Rule, SiteRule } from '../types.ts';
import { badCondition } from './bad-condition.ts';
import { badProbeTarget } from './bad-probe-target.ts';
import { badProbeTemplate } from './bad-probe-template.ts';
import { duplicateGateId } from './duplicate-gate-id.ts';
import { duplicateItemId } from './duplicate-item-id.ts';
import { duplicateRunbookId } from './duplicate-runbook-id.ts';
import { expectWithoutValue } from './expect-without-value.ts';
import { invalidSemverRange } from './invalid-semver-range.ts';
import { itemNotInBody } from './item-not-in-body.ts';
import { missingEstimate } from './missing-estimate.ts';
import { missingOwner } from './missing-owner.ts';
import { missingRequires } from './missing-requires.ts';
import { requiresCycle } from './requires-cycle.ts';
import { schema } from './schema.ts';
import { syntax } from './syntax.ts';
import { taskListMismatch } from './task-list-mismatch.ts';
import { tutorialStep } from './tutorial-step.ts';
import { unknownEvidenceKind } from './unknown-evidence-kind.ts';
import { unknownProduct } from './unknown-product.ts';
import { unknownSignOffRole } from './unknown-sign-off-role.ts';
import { valueWithoutExpect } from './value-without-expect.ts';

export const rules: readonly Rule[] = [
  syntax,
  schema,
  unknownEvidenceKind,
  duplicateRunbookId,
  duplicateGateId,
  duplicateItemId,
  missingRequires,
  requiresCycle,
  unknownProduct,
  invalidSemverRange,
  valueWithoutExpect,
  expectWithoutValue,
  badCondition,
  badProbeTemplate,
  badProbeTarget,
  unknownSignOffRole,
  taskListMismatch,
  itemNotInBody,
  tutorialStep,
  missingOwner,
  missingEstimate,
];

export const fileRules = rules.filter((r): r is FileRule => r.scope === 'file');
export const siteRules = rules.filter((r): r is SiteRule => r.scope === 'site');
