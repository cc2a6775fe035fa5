// A vitest reporter that appends `start <file>` when a test file is handed to a worker and `end <file>` when it
// has finished, to $TEST_PROGRESS_FILE. scripts/test.cjs reads it to name the files of a layer that hung.
import fs from 'node:fs';
import path from 'node:path';

export default class ProgressReporter {
  constructor() {
    this.out = process.env.TEST_PROGRESS_FILE;
  }

  onTestModuleQueued(testModule) {
    this.write('start', testModule.moduleId);
  }

  onTestModuleEnd(testModule) {
    this.write('end', testModule.moduleId);
  }

  write(what, file) {
    if (this.out) fs.appendFileSync(this.out, `${what} ${path.relative(process.cwd(), file)}\n`);
  }
}
