import path from 'node:path';
import { Command } from 'commander';
import { scaffold } from '../../../firmware/generator/scaffold.ts';
import { exitWithError } from './errors.ts';

/** `fleetbook firmware scaffold`: a C99 firmware project for a product version, from the catalog. */
export function firmwareCommand(): Command {
  const scaffoldCmd = new Command('scaffold')
    .description(
      'Generate a C99 firmware project for a product version (POSIX and ESP-IDF ports, unit tests), its bring-up runbook and its prompt pack',
    )
    .requiredOption('--product <code>', 'product code of the catalog (docs/products)')
    .option('--version <version>', 'product version (default: the newest)')
    .option('--out <dir>', 'project folder (default: firmware/generated/<product>-<version>)')
    .option('--force', 'write into an existing folder, and regenerate pages edited by hand')
    .option(
      '--site-dir <dir>',
      'the handbook: where docs/products is read and the runbook and prompt pack are written',
      '.',
    )
    .option('--products-dir <dir>', 'the product catalog, relative to --site-dir', 'docs/products')
    .option('--no-docs', 'write the project only, not the bring-up runbook and prompt pack')
    .action(
      (opts: {
        product: string;
        version?: string;
        out?: string;
        force?: boolean;
        siteDir: string;
        productsDir: string;
        docs: boolean;
      }) => {
        try {
          const siteDir = path.resolve(opts.siteDir);
          const result = scaffold({ ...opts, siteDir, out: opts.out ? path.resolve(opts.out) : undefined });
          const { product } = result.model;
          const rel = (p: string) => path.relative(process.cwd(), p) || '.';
          const lines = [
            `${product.code} ${product.version} (firmware ${product.firmware}): ${result.files.length} files in ${rel(result.outDir)}`,
          ];
          if (result.mappings.length) {
            lines.push('C names (the wire names are unchanged):');
            for (const m of result.mappings) lines.push(`  ${m.kind} ${m.name} → ${m.c_name} (${m.reason})`);
          }
          for (const page of result.pages)
            lines.push(
              `${page.status === 'written' ? 'wrote' : 'unchanged'} ${path.relative(process.cwd(), path.join(siteDir, page.path))}`,
            );
          const build = rel(path.join(result.outDir, 'build'));
          lines.push(
            `next: cmake -S ${rel(result.outDir)} -B ${build} && cmake --build ${build} && ctest --test-dir ${build}`,
          );
          process.stdout.write(lines.join('\n') + '\n');
        } catch (err) {
          exitWithError(err);
        }
      },
    );
  return new Command('firmware')
    .description('Firmware scaffolds generated from the product catalog')
    .addCommand(scaffoldCmd);
}
