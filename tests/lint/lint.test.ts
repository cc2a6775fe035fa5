import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// The habits that keep the tree readable, as a test layer: CI fails on a lint error, an import
// cycle or an unformatted file, and prints which (`npm run format` mends the last).
const root = path.resolve(import.meta.dirname, '../..');
const bin = (name: string) => path.join(root, 'node_modules', '.bin', name);
const run = promisify(execFile);

/** Runs a tool; its exit code is the tool's verdict, its output the evidence. */
async function tool(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(bin(name), args, { cwd: root, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 2, stdout: e.stdout ?? '', stderr: e.stderr ?? String(err) };
  }
}

describe('lint', () => {
  it('ESLint reports no error beyond the recorded suppressions', async () => {
    const res = await tool('eslint', ['.', '--format', 'json']);
    const files = JSON.parse(res.stdout || '[]') as Array<{
      filePath: string;
      messages: Array<{ line: number; column: number; ruleId: string | null; message: string; severity: number }>;
    }>;
    const errors = files.flatMap((f) =>
      f.messages
        .filter((m) => m.severity === 2)
        .map((m) => `${path.relative(root, f.filePath)}:${m.line}:${m.column} ${m.message} ${m.ruleId ?? ''}`),
    );
    expect(errors).toEqual([]);
    expect(res.code, res.stderr).toBe(0);
  });

  it('every file is formatted by Prettier (.prettierrc.json, .prettierignore)', async () => {
    const res = await tool('prettier', ['--list-different', '.']);
    const unformatted = res.stdout.split('\n').filter(Boolean);
    expect(unformatted).toEqual([]);
    // 1: files differ (listed above); 2: Prettier itself failed (a syntax error), which stderr names.
    expect(res.code, res.stderr).toBe(0);
  });

  // `import type` counts too (.madgerc): a type cycle breaks no initialisation order, but it still
  // ties two modules together; a type both sides need goes in a small module of its own.
  it('no import cycle between files (madge)', async () => {
    const res = await tool('madge', [
      '--circular',
      '--json',
      '--extensions',
      'ts,tsx',
      '--ts-config',
      'tsconfig.json',
      'data-api',
      'src',
      'plugins',
      'bench',
      'scripts',
    ]);
    const cycles = JSON.parse(res.stdout) as string[][];
    expect(cycles.map((c) => c.join(' > '))).toEqual([]);
  });
});
