import { Command } from 'commander';
import { executionSpecJsonSchema } from '../contracts/execution-spec.ts';
import { formatDiagnostic, loadSpecFile } from '../automation/spec-file.ts';
import { exitWithError } from './errors.ts';

/** `fleetbook spec validate <file…>` and `fleetbook spec schema` (execution spec v1). */
export function specCommand(): Command {
  const spec = new Command('spec').description(
    'Execution specs (automation input): validate them, export their JSON Schema',
  );

  spec
    .command('validate')
    .description(
      'Check execution specs (YAML or JSON); problems print as file:line:column  message  rule-id; exit 1 on any error',
    )
    .argument('<files...>', 'spec files')
    .action((files: string[]) => {
      try {
        let errors = 0;
        for (const file of files) {
          const loaded = loadSpecFile(file);
          if (loaded.ok) {
            process.stdout.write(`${file}: ok (${loaded.spec.actions.length} actions)\n`);
            continue;
          }
          errors += loaded.diagnostics.length;
          for (const d of loaded.diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
        }
        // The same summary line as `fleetbook lint` (specs have no warnings yet).
        process.stdout.write(`${errors} error${errors === 1 ? '' : 's'}, 0 warnings\n`);
        process.exitCode = errors > 0 ? 1 : 0;
      } catch (err) {
        exitWithError(err);
      }
    });

  spec
    .command('schema')
    .description(
      'Print the JSON Schema of execution spec v1 (for editors: fleetbook spec schema > execution-spec.schema.json)',
    )
    .action(() => {
      process.stdout.write(`${JSON.stringify(executionSpecJsonSchema(), null, 2)}\n`);
    });

  return spec;
}
