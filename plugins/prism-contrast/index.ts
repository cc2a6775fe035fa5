import type { PrismTheme } from 'prism-react-renderer';

// Code blocks read by everyone: the stock github (light) and dracula (dark) themes colour some
// tokens below WCAG AA on their own background (axe: #36acaa on #f6f8fa is 2.6:1, dracula's
// comments 3.0:1). Each such colour is moved toward black (light theme) or white (dark theme),
// just far enough; the palette keeps its hues.

type Rgb = [number, number, number];

function parse(colour: string): Rgb | null {
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(colour.trim());
  if (hex) {
    const h = hex[1]!.length === 3 ? [...hex[1]!].map((c) => c + c).join('') : hex[1]!;
    return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
  }
  const rgb = /^rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)/i.exec(colour.trim());
  return rgb ? [Number(rgb[1]), Number(rgb[2]), Number(rgb[3])] : null;
}

function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => (v / 255 <= 0.03928 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** The WCAG 2 contrast ratio of two colours. */
export function contrastRatio(a: string, b: string): number {
  const [x, y] = [parse(a), parse(b)];
  if (!x || !y) throw new Error(`not a colour: ${x ? b : a}`);
  const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

const toHex = (c: Rgb) => `#${c.map((v) => Math.round(v).toString(16).padStart(2, '0')).join('')}`;

/** `colour`, mixed toward black or white (away from `background`) until it reaches `min`. */
export function readableOn(colour: string, background: string, min = 4.5): string {
  const fg = parse(colour);
  const bg = parse(background);
  if (!fg || !bg || contrastRatio(colour, background) >= min) return colour;
  const target: Rgb = luminance(bg) > 0.18 ? [0, 0, 0] : [255, 255, 255];
  for (let t = 0.05; t <= 1; t += 0.05) {
    const mixed = toHex(fg.map((v, i) => v + (target[i]! - v) * t) as Rgb);
    if (contrastRatio(mixed, background) >= min) return mixed;
  }
  return toHex(target);
}

/** The theme with every token colour readable on its code-block background (AA: 4.5:1). */
export function withContrast(theme: PrismTheme, min = 4.5): PrismTheme {
  const bg = theme.plain.backgroundColor;
  if (!bg) return theme;
  const fix = <S extends { color?: string }>(style: S): S =>
    style.color ? { ...style, color: readableOn(style.color, bg, min) } : style;
  return { plain: fix(theme.plain), styles: theme.styles.map((s) => ({ ...s, style: fix(s.style) })) };
}
