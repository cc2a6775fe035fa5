import { describe, expect, it } from 'vitest';
import { moreSides } from '../../src/components/ScrollCue/index.ts';

// The side a scroll box's cue is drawn on (src/components/ScrollCue): where content is hidden.
describe('moreSides', () => {
  it('is null when the content fits, or overflows by a pixel of rounding', () => {
    expect(moreSides({ scrollLeft: 0, scrollWidth: 700, clientWidth: 700 })).toBeNull();
    expect(moreSides({ scrollLeft: 0, scrollWidth: 701, clientWidth: 700 })).toBeNull();
  });
  it('names the sides with hidden content: right at the start, both in the middle, left at the end', () => {
    expect(moreSides({ scrollLeft: 0, scrollWidth: 1704, clientWidth: 703 })).toBe('right');
    expect(moreSides({ scrollLeft: 40, scrollWidth: 1704, clientWidth: 703 })).toBe('left right');
    expect(moreSides({ scrollLeft: 1001, scrollWidth: 1704, clientWidth: 703 })).toBe('left');
    // Fractional scroll positions (zoom, high-DPI screens) stop short of the last pixel.
    expect(moreSides({ scrollLeft: 1000.5, scrollWidth: 1704, clientWidth: 703 })).toBe('left');
  });
});
