// The one "did you mean" rule of every validator (data-api/src/contracts/edit-distance.ts).
import { describe, expect, it } from 'vitest';
import { didYouMean, editDistance, likelyMeant } from '../../data-api/src/contracts/edit-distance.ts';

describe('edit distance (optimal string alignment)', () => {
  it('counts a swap of two neighbouring letters as one edit', () => {
    expect(editDistance('sgi', 'sig')).toBe(1);
    expect(editDistance('stauts', 'status')).toBe(1);
    expect(editDistance('rul', 'url')).toBe(1);
    expect(editDistance('ab', 'ba')).toBe(1);
  });

  it('still counts inserts, deletes and replacements one each', () => {
    expect(editDistance('', '')).toBe(0);
    expect(editDistance('site', 'site')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('sumary', 'summary')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    // Optimal string alignment edits no substring twice: "ca" → "abc" is 3, not 2.
    expect(editDistance('ca', 'abc')).toBe(3);
  });
});

describe('did you mean', () => {
  it('hints the word a swapped pair came from, within the same threshold', () => {
    expect(didYouMean('sgi', ['sig', 'site'])).toBe(' (did you mean "sig"?)');
    expect(didYouMean('timzeone', ['timezone', 'cron'])).toBe(' (did you mean "timezone"?)');
    expect(likelyMeant('rul', ['url', 'name'])).toBe('url');
  });

  it('gives no hint for a word near none of the candidates', () => {
    expect(didYouMean('colour', ['id', 'title', 'kind', 'gates'])).toBe('');
    expect(didYouMean('zzz', ['status', 'site_id'])).toBe('');
    // A short word is allowed one edit at most, a tiny one none: `ab` is not a typo of `ba`.
    expect(didYouMean('ab', ['ba'])).toBe('');
    expect(likelyMeant('typ', ['min', 'max', 'unit'])).toBeUndefined();
  });
});
