import fs from 'node:fs';

/**
 * The lines of an append-only JSON-lines file the runner keeps (journal, progress); none when the
 * file is missing. A last line cut short by a kill mid-write is skipped: what it describes was not
 * recorded (each caller says what that means for it).
 */
export function readJsonLines<T>(file: string): T[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const lines: T[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.trim()) continue;
    try {
      lines.push(JSON.parse(raw) as T);
    } catch {
      // torn: see above
    }
  }
  return lines;
}
