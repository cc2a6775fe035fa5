// "Did you mean …?" for the validators: rule fields, json-logic operations, step ids, query parameters.

/** Levenshtein distance: the fewest one-character edits (insert, delete, replace) from `a` to `b`. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** The candidate nearest to `word` within `within` edits (the first of equals), or undefined. */
export function closest(
  word: string,
  candidates: Iterable<string>,
  within: number,
  fold: (s: string) => string = (s) => s,
): string | undefined {
  let best: string | undefined;
  let bestD = within + 1;
  for (const c of candidates) {
    const d = editDistance(fold(word), fold(c));
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best;
}

/**
 * ` (did you mean "x"?)` for the candidate a typo is closest to, or '': the one rule of every
 * hint (case-insensitive, within 2 edits and a third of the word's length).
 */
export function didYouMean(word: string, candidates: Iterable<string>, shown = (c: string) => c): string {
  const best = closest(word, candidates, Math.min(2, Math.floor(word.length / 3)), (s) => s.toLowerCase());
  return best === undefined ? '' : ` (did you mean "${shown(best)}"?)`;
}
