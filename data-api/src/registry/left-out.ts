/**
 * A product page left out of the catalog for its errors, with what can still be read of it: its
 * product_code (the folder's name when unreadable) and the names of its metrics, so that what
 * names the product elsewhere (a notification rule) can say that the page is the problem.
 */
export interface LeftOutPage {
  product_code: string;
  source_path: string;
  metrics: string[];
}

/**
 * Why a product is not in the catalog when its page is in error: the one wording of the start
 * and `fleetbook rules validate` (and of any check that names a product).
 */
export function leftOutReason(page: Pick<LeftOutPage, 'product_code' | 'source_path'>): string {
  return `product "${page.product_code}" is left out: its page ${page.source_path} has errors (the start logs them above; fleetbook lint prints them)`;
}
