import { themes, type PrismTheme } from 'prism-react-renderer';
import { describe, expect, it } from 'vitest';
import { contrastRatio, readableOn, withContrast } from '../../plugins/prism-contrast/index.ts';

const tokenColours = (t: PrismTheme) =>
  t.styles.flatMap((s) => (s.style.color ? [{ types: s.types.join('/'), colour: s.style.color }] : []));
const below = (t: PrismTheme, min: number) =>
  tokenColours(t).filter((c) => contrastRatio(c.colour, t.plain.backgroundColor!) < min);

// Issue 17 (axe on the API reference and the surfaces page): code-block tokens must reach AA.
describe('code block colours (plugins/prism-contrast)', () => {
  it('computes WCAG contrast ratios as axe does', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#36acaa', '#f6f8fa')).toBeCloseTo(2.58, 2);
    expect(contrastRatio('rgb(98, 114, 164)', '#282A36')).toBeCloseTo(3.03, 2);
  });

  it('moves a colour that falls short just past AA, toward black on light and white on dark, and leaves a readable one alone', () => {
    const light = readableOn('#36acaa', '#f6f8fa');
    expect(contrastRatio(light, '#f6f8fa')).toBeGreaterThanOrEqual(4.5);
    expect(contrastRatio(light, '#f6f8fa')).toBeLessThan(5.5);
    const dark = readableOn('rgb(98, 114, 164)', '#282A36');
    expect(contrastRatio(dark, '#282A36')).toBeGreaterThanOrEqual(4.5);
    expect(dark).not.toBe('rgb(98, 114, 164)');
    expect(readableOn('#393A34', '#f6f8fa')).toBe('#393A34');
  });

  it('the site’s code themes (light and dark, from docusaurus.config.ts) have no token below 4.5:1; the stock ones did', async () => {
    expect(below(themes.github, 4.5).length).toBeGreaterThan(0);
    expect(below(themes.dracula, 4.5).length).toBeGreaterThan(0);
    const config = (await import('../../docusaurus.config.ts')).default;
    const prism = (config.themeConfig as { prism: { theme: PrismTheme; darkTheme: PrismTheme } }).prism;
    for (const theme of [prism.theme, prism.darkTheme]) {
      expect(tokenColours(theme).length).toBeGreaterThan(5);
      expect(below(theme, 4.5)).toEqual([]);
    }
    expect(withContrast(themes.github).styles.map((s) => s.types)).toEqual(themes.github.styles.map((s) => s.types));
  });
});
