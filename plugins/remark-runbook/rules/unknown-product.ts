import type { FileRule } from '../types.ts';
import { isObj, list, q } from './util.ts';

export const unknownProduct: FileRule = {
  id: 'runbook/unknown-product',
  severity: 'error',
  scope: 'file',
  description: '`product_code` is in the product catalog (`product_code` of docs/products/*/index.mdx).',
  check({ file, products, productsDir, report }) {
    const code = isObj(file.data) ? file.data.product_code : undefined;
    if (typeof code !== 'string' || code.trim() === '' || products?.has(code)) return;
    const expected =
      products && products.size
        ? `one of ${list([...products].sort())}`
        : `a product of the catalog (none found in ${productsDir}/*/index.mdx)`;
    report(`Unexpected product ${q(code)}, expected ${expected}`, file.locate(['product_code']));
  },
};
