import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

// Strict TypeScript over the whole project (API, site, plugins, tests) is a test like any other.
it('the project typechecks under strict mode', () => {
  const root = path.resolve(__dirname, '../..');
  const tsc = require.resolve('typescript/bin/tsc', { paths: [root] });
  const res = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { cwd: root, encoding: 'utf8' });
  expect(res.stdout + res.stderr).toBe('');
  expect(res.status).toBe(0);
}, 300_000); // a loaded 2-core machine takes minutes; speed is not what this test checks
