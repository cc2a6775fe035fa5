// `fleetbook firmware scaffold`: the product catalog → a C99 firmware project (firmware/templates/
// project), its bring-up runbook and its prompt pack. Templates ending in .tmpl are rendered with
// the product's model; every other file is copied as it is.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { productsFor, readProductCatalog } from '../../data-api/src/registry/products.ts';
import type { CNameMapping } from './c-names.ts';
import { firmwareModel, ScaffoldError, type FirmwareModel } from './model.ts';
import { renderPack } from './prompts.ts';
import { render } from './render.ts';
import { renderRunbook, runbookPath } from './runbook.ts';

export { ScaffoldError } from './model.ts';

export const TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'templates');

export interface ScaffoldOptions {
  product: string;
  /** Default: the product's newest version. */
  version?: string;
  /** The project folder; default firmware/generated/<product>-<version> under siteDir. */
  out?: string;
  /** Write into an existing folder (files the scaffold does not write are left alone). */
  force?: boolean;
  /** The handbook: docs/products is read from it, the runbook and prompt pack written into it. */
  siteDir: string;
  productsDir?: string;
  /** Write the bring-up runbook and the prompt pack (default true). */
  docs?: boolean;
}

export interface WrittenPage {
  path: string;
  status: 'written' | 'unchanged';
}

export interface ScaffoldResult {
  model: FirmwareModel;
  outDir: string;
  files: string[];
  mappings: CNameMapping[];
  pages: WrittenPage[];
}

/** Every file of a template folder, relative to it, sorted. */
export function templateFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** The project's files (path → content), rendered in memory. */
export function renderProject(model: FirmwareModel): Map<string, string> {
  const dir = path.join(TEMPLATES_DIR, 'project');
  const files = new Map<string, string>();
  for (const rel of templateFiles(dir)) {
    const text = fs.readFileSync(path.join(dir, rel), 'utf8');
    if (rel.endsWith('.tmpl'))
      files.set(rel.slice(0, -'.tmpl'.length), render(text, model, `templates/project/${rel}`));
    else files.set(rel, text);
  }
  return files;
}

export function loadModel(
  options: Pick<ScaffoldOptions, 'product' | 'version' | 'siteDir' | 'productsDir'>,
): FirmwareModel {
  const productsDir = path.resolve(options.siteDir, options.productsDir ?? 'docs/products');
  const products = productsFor(readProductCatalog(productsDir, options.siteDir), options.product);
  return firmwareModel(products, options.product, options.version);
}

/** The handbook pages of a product version: its bring-up runbook and its prompt pack. */
export function renderPages(model: FirmwareModel, siteDir: string): Map<string, string> {
  return new Map([
    [runbookPath(model), renderRunbook(model, TEMPLATES_DIR)],
    ...renderPack(model, siteDir, TEMPLATES_DIR),
  ]);
}

export function scaffold(options: ScaffoldOptions): ScaffoldResult {
  const model = loadModel(options);
  const siteDir = path.resolve(options.siteDir);
  const outDir = path.resolve(
    siteDir,
    options.out ?? path.join('firmware', 'generated', `${model.product.code}-${model.product.version}`),
  );
  if (fs.existsSync(outDir) && fs.readdirSync(outDir).length > 0 && !options.force) {
    throw new ScaffoldError(
      `${path.relative(process.cwd(), outDir) || outDir} exists and is not empty: pass --force to write into it (files the scaffold does not write are kept), or choose another --out`,
    );
  }
  const pages = options.docs === false ? new Map<string, string>() : renderPages(model, siteDir);
  // A generated page someone edited by hand is not overwritten without --force: nothing is lost.
  const edited = [...pages]
    .filter(
      ([rel, text]) =>
        fs.existsSync(path.join(siteDir, rel)) && fs.readFileSync(path.join(siteDir, rel), 'utf8') !== text,
    )
    .map(([rel]) => rel);
  if (edited.length && !options.force) {
    throw new ScaffoldError(
      `${edited.join(', ')} ${edited.length === 1 ? 'differs' : 'differ'} from what the catalog generates (edited by hand?): pass --force to regenerate, or --no-docs to leave the handbook alone`,
    );
  }

  const files = renderProject(model);
  for (const [rel, text] of files) {
    const file = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text, { mode: rel.endsWith('.sh') ? 0o755 : 0o644 });
  }
  const written: WrittenPage[] = [];
  for (const [rel, text] of pages) {
    const file = path.join(siteDir, rel);
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) {
      written.push({ path: rel, status: 'unchanged' });
      continue;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    written.push({ path: rel, status: 'written' });
  }
  return { model, outDir, files: [...files.keys()], mappings: model.mappings, pages: written };
}
