// Pure: what a DeploymentBoard asks the data API for. The deployments of its filter, and the
// runbook executions of those same deployments (the same site, product and customer filters on
// `GET /runbook-executions`, the product being the deployment's), each deployment's newest
// EXECUTIONS_PER_CARD only: what its cards show, however many executions the fleet has. Both are
// paged lists; the board reads every page of each (`allPages`, at most MAX_PAGES pages).

/** Deployments per page of the board's read; it reads every page (`allPages`, at most MAX_PAGES). */
export const DEPLOYMENTS_PER_PAGE = 500;

/** The executions a card lists, newest first. */
export const EXECUTIONS_PER_CARD = 3;

export interface BoardFilter {
  site?: string;
  product?: string;
  customer?: string;
}

export function boardReads({ site, product, customer }: BoardFilter): { deployments: string; executions: string } {
  const filter = new URLSearchParams();
  if (site) filter.set('site_id', site);
  if (product) filter.set('product_code', product);
  if (customer) filter.set('customer_id', customer);
  const and = filter.toString() ? `&${filter.toString()}` : '';
  return {
    deployments: `/deployments?limit=${DEPLOYMENTS_PER_PAGE}${and}`,
    executions: `/runbook-executions?limit=500&per_deployment=${EXECUTIONS_PER_CARD}${and}`,
  };
}
