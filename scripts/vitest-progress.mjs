// A vitest reporter that appends a line to $TEST_PROGRESS_FILE whenever something happens in a layer: a test file
// handed to a worker (`start <file>`) or finished (`end <file>`), a test or a hook starting or ending
// (`test`/`hook <file> > <name>`). scripts/test.cjs stops a layer in which nothing has happened for too long, and
// reads this file to name the test files that never finished.
import fs from 'node:fs';
import path from 'node:path';

const moduleOf = (entity) => (entity.type === 'module' ? entity : entity.module).moduleId;

export default class ProgressReporter {
  out = process.env.TEST_PROGRESS_FILE;

  onTestModuleQueued(testModule) {
    this.write('start', testModule.moduleId);
  }

  onTestModuleEnd(testModule) {
    this.write('end', testModule.moduleId);
  }

  onTestCaseReady(testCase) {
    this.write('test', testCase.module.moduleId, testCase.fullName);
  }

  onTestCaseResult(testCase) {
    this.write('test', testCase.module.moduleId, `${testCase.fullName}: ${testCase.result().state}`);
  }

  onHookStart(hook) {
    this.write('hook', moduleOf(hook.entity), hook.name);
  }

  onHookEnd(hook) {
    this.write('hook', moduleOf(hook.entity), `${hook.name} done`);
  }

  write(what, file, detail) {
    if (!this.out) return;
    const name = path.relative(process.cwd(), file);
    fs.appendFileSync(this.out, `${what} ${name}${detail ? ` > ${detail}` : ''}\n`);
  }
}
