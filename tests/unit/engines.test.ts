import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

// Issue 17: `npm install` warned EBADENGINE (cookie@2 wants Node ≥ 22) on the Node the README
// names. npm warns for every installed package whose `engines.node` the running Node misses:
// the lockfile records each one's, so the check needs no install.
describe('engines: every locked package runs on the Node version the README names', () => {
  const root = path.resolve(__dirname, '../..');
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const floor = /Node\.js (\d+\.\d+)\+/.exec(readme)?.[1];
  const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; engines?: { node?: string } | string[] }>;
  };
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } };

  it('the README names a version, and package.json says the same', () => {
    expect(floor).toMatch(/^\d+\.\d+$/);
    expect(semver.minVersion(pkg.engines.node)?.version).toBe(`${floor}.0`);
  });

  it('no package needs a newer Node (no EBADENGINE)', () => {
    const version = `${floor}.0`;
    const misses = Object.entries(lock.packages)
      .filter(([name, p]) => name && p.engines && !Array.isArray(p.engines) && p.engines.node)
      .filter(([, p]) => !semver.satisfies(version, (p.engines as { node: string }).node, { includePrerelease: true }))
      .map(
        ([name, p]) =>
          `${name.replace(/^.*node_modules\//, '')}@${p.version} wants node ${(p.engines as { node: string }).node}`,
      );
    expect(Object.keys(lock.packages).length).toBeGreaterThan(100);
    expect(misses).toEqual([]);
  });
});
