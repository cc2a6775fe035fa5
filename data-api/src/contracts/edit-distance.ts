// "Did you mean …?" for the validators: rule fields, json-logic operations, step ids, query parameters.

/**
 * Optimal string alignment distance: the fewest one-character edits (insert, delete, replace, or
 * swap of two neighbours) from `a` to `b`. A swapped pair (`sgi` for `sig`) is the commonest typo,
 * so it counts as one edit, not two.
 */
export function editDistance(a: string, b: string): number {
  let before = Array.from({ length: b.length + 1 }, () => 0); // row i - 2
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j); // row i - 1
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j]!, before[j - 2]! + 1);
    }
    [before, prev] = [prev, row];
  }
  return prev[b.length]!;
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
 * The candidate a typo of `word` likely meant, or undefined: the one rule of every hint
 * (case-insensitive, within 2 edits and a third of the word's length).
 */
export function likelyMeant(word: string, candidates: Iterable<string>): string | undefined {
  return closest(word, candidates, Math.min(2, Math.floor(word.length / 3)), (s) => s.toLowerCase());
}

/** ` (did you mean "x"?)` for the candidate a typo likely meant (`likelyMeant`), or ''. */
export function didYouMean(word: string, candidates: Iterable<string>, shown = (c: string) => c): string {
  const best = likelyMeant(word, candidates);
  return best === undefined ? '' : ` (did you mean "${shown(best)}"?)`;
}
