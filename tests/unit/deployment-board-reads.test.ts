// widgets.md: DeploymentBoard shows "deployments by state with their runbook executions", filtered
// by `site`, `product` and `customer`. It asks for the executions of the deployments it shows (the
// same filters, `product_code` being the deployment's) and each one's newest 3 only, reading every
// page; not the newest 500 of the fleet, which miss a deployment's executions once the fleet has
// more (tests/integration/runbook-executions-board-reads.test.ts: what the API answers them).
import { describe, expect, it } from 'vitest';
import { executionListQuerySchema } from '../../data-api/src/contracts/executions.ts';
import * as z from 'zod';
import { pageQuery } from '../../data-api/src/contracts/pagination.ts';
import { deploymentFilters } from '../../data-api/src/contracts/registry.ts';
import { boardReads, EXECUTIONS_PER_CARD } from '../../src/widgets/DeploymentBoard/reads.ts';

const query = (path: string) => Object.fromEntries(new URL(path, 'http://x').searchParams);

describe('what a DeploymentBoard asks the API for', () => {
  it('the executions of the deployments of its filter, each one’s newest few', () => {
    const reads = boardReads({ site: 'site_farm-north', product: 'lorawan-gw', customer: 'cus_greenacre' });
    const filter = { site_id: 'site_farm-north', product_code: 'lorawan-gw', customer_id: 'cus_greenacre' };
    expect(query(reads.deployments)).toEqual({ limit: '500', ...filter });
    expect(query(reads.executions)).toEqual({ limit: '500', per_deployment: String(EXECUTIONS_PER_CARD), ...filter });
    // Both queries are ones their contracts take (strict: an unknown parameter is a 400).
    expect(executionListQuerySchema.safeParse(query(reads.executions)).success).toBe(true);
    // (the registry's list route: z.strictObject({ ...pageQuery, ...deploymentFilters }))
    expect(z.strictObject({ ...pageQuery, ...deploymentFilters }).safeParse(query(reads.deployments)).success).toBe(
      true,
    );
  });

  it('no filter: the whole fleet’s deployments, and their newest few executions each', () => {
    const reads = boardReads({});
    expect(reads.deployments).toBe('/deployments?limit=500');
    expect(reads.executions).toBe(`/runbook-executions?limit=500&per_deployment=${EXECUTIONS_PER_CARD}`);
  });
});
