import React, { type ReactNode } from 'react';
import { useDoc } from '@docusaurus/plugin-content-docs/client';
import { useBaseUrlUtils } from '@docusaurus/useBaseUrl';
import {
  bomTotals,
  productFrontmatterSchema,
  type ProductFrontmatter,
} from '../../../data-api/src/contracts/catalog.ts';
import { scrollRegion } from '../../widgets/shared/WidgetFrame.tsx';
import styles from './styles.module.css';

/** Newest first: 1.10.0 after 1.9.0. */
const byVersionDesc = (a: { version: string }, b: { version: string }) =>
  b.version.localeCompare(a.version, undefined, { numeric: true });

function money(value: number | undefined, currency: string | undefined): string {
  if (value === undefined) return '—';
  return currency ? new Intl.NumberFormat('en', { style: 'currency', currency }).format(value) : value.toFixed(2);
}

type Version = ProductFrontmatter['versions'][number];

/** Each version with its release, firmware baseline and what changed, newest first. */
function Revisions({ versions, name }: { versions: readonly Version[]; name: string }): ReactNode {
  return (
    <div className={styles.wrap} {...scrollRegion(`${name}: revisions`)}>
      <table data-testid="product-revisions">
        <thead>
          <tr>
            <th>version</th>
            <th>released</th>
            <th>firmware baseline</th>
            <th>what changed</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} data-version={v.version}>
              <td>
                <code>{v.version}</code>
              </td>
              <td>{v.released ?? '—'}</td>
              <td data-testid={`firmware-baseline-${v.version}`}>
                {v.firmware_baseline ? <code>{v.firmware_baseline}</code> : '—'}
              </td>
              <td>
                {v.changes?.length ? (
                  <ul className={styles.changes}>
                    {v.changes.map((c) => (
                      <li key={c}>{c}</li>
                    ))}
                  </ul>
                ) : (
                  '—'
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One version's bill of materials with its totals, and its datasheets. */
function VersionBom({ v, currency, name }: { v: Version; currency: string | undefined; name: string }): ReactNode {
  const { withBaseUrl } = useBaseUrlUtils();
  const totals = bomTotals(v.bom);
  return (
    <section data-testid={`product-bom-${v.version}`} data-parts={totals.parts} data-cost={totals.cost ?? ''}>
      <h3>Bill of materials, {v.version}</h3>
      <div className={styles.wrap} {...scrollRegion(`${name}: bill of materials, ${v.version}`)}>
        <table>
          <thead>
            <tr>
              <th>SKU</th>
              <th>part</th>
              <th className={styles.num}>qty</th>
              <th className={styles.num}>unit cost</th>
              <th className={styles.num}>line</th>
            </tr>
          </thead>
          <tbody>
            {v.bom.map((l) => (
              <tr key={l.sku}>
                <td>
                  <code>{l.sku}</code>
                </td>
                <td>{l.description ?? ''}</td>
                <td className={styles.num}>{l.qty}</td>
                <td className={styles.num}>{money(l.unit_cost, currency)}</td>
                <td className={styles.num}>
                  {money(l.unit_cost === undefined ? undefined : l.unit_cost * l.qty, currency)}
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            {/* The row's header is its first cell; the others are its figures (no unit cost to total). */}
            <tr className={styles.total}>
              <th scope="row" colSpan={2}>
                total: {totals.lines} lines, {totals.parts} parts
              </th>
              <td className={styles.num}>{totals.parts}</td>
              <td />
              <td className={styles.num} data-testid={`product-bom-total-${v.version}`}>
                {totals.cost === null ? 'not every line has a cost' : money(totals.cost, currency)}
              </td>
            </tr>
          </tfoot>
        </table>
      </div>
      {v.datasheets?.length ? (
        <p className={styles.datasheets}>
          Datasheets:{' '}
          {v.datasheets.map((d, i) => (
            <React.Fragment key={d.file}>
              {i > 0 && ' · '}
              <a href={withBaseUrl(d.file)} target="_blank" rel="noopener" data-testid="product-datasheet">
                {d.title}
              </a>
            </React.Fragment>
          ))}
        </p>
      ) : null}
    </section>
  );
}

/**
 * A product page's static sheet, from its own frontmatter (the catalog): revisions with the
 * firmware baseline, the BOM of each version with its totals, and the datasheets. Rendered at
 * build time; `plugins/remark-library` has already refused a page whose frontmatter is wrong.
 * Its tables scroll sideways on a phone, so each sits in a named, focusable region
 * (`scrollRegion`): named after the product and the table's heading, and so unique on the page
 * (a product's versions are unique; axe landmark-unique).
 */
export function ProductSheet(): ReactNode {
  const { frontMatter } = useDoc();
  const parsed = productFrontmatterSchema.safeParse(frontMatter);
  if (!parsed.success) {
    return (
      <p className={styles.error} role="alert">
        ProductSheet: this page's frontmatter is not a product ({parsed.error.issues[0]?.message}); run fleetbook lint.
      </p>
    );
  }
  const p: ProductFrontmatter = parsed.data;
  const versions = [...p.versions].sort(byVersionDesc);
  return (
    <div className={styles.sheet} data-testid="product-sheet" data-product={p.product_code}>
      <h3>Revisions</h3>
      <Revisions versions={versions} name={p.name} />

      {versions.map((v) => (
        <VersionBom key={v.version} v={v} currency={p.currency} name={p.name} />
      ))}
    </div>
  );
}

export default ProductSheet;
