// A table in a committed run page, run index or month page sits in a frame that scrolls sideways
// on a phone: a run's result and message columns, ids and UPIDs are wider than 390 px. The pages
// are built by sites without fleetbook's theme (a plain Docusaurus site), so the frame is plain
// MDX with its layout inline, never a component or a stylesheet of ours:
//  - `role="region"` with a name and `tabIndex={0}`: keyboard users reach the frame and scroll it
//    with the arrow keys (axe scrollable-region-focusable); each frame on a page has its own name
//    (axe landmark-unique).
//  - The frame is a one-column grid at least as wide as the table's narrowest layout (min-content)
//    and otherwise as wide as the page: the table keeps the layout it has without a frame, and the
//    frame, not the table (Infima draws tables `display: block; overflow: auto`), is what scrolls.
// fleetbook's own run page (src/components/RunPages/markdown.ts) recognises the frame by
// TABLE_FRAME_OPEN and draws the same frame.

/** What a frame's name may hold: nothing MDX or an attribute would read otherwise. */
const LABEL = '[A-Za-z0-9 ,:()-]+';
const LABEL_RE = new RegExp(`^${LABEL}$`);
/** What the frame's opening line looks like: its name (aria-label) is the first group. */
export const TABLE_FRAME_OPEN = new RegExp(
  `^<div className="fb-table-frame" role="region" aria-label="(${LABEL})" tabIndex=\\{0\\} style=\\{\\{[^}]*\\}\\}>$`,
);
export const TABLE_FRAME_CLOSE = '</div>';

/** The frame's inline style, as the DOM writes it (the client renders the same). */
export const TABLE_FRAME_STYLE = {
  display: 'grid',
  gridTemplateColumns: 'minmax(min-content, 1fr)',
  overflowX: 'auto',
} as const;

/** The markdown table's lines (header, delimiter, rows) inside a named frame; blank lines keep the table markdown in MDX. */
export function tableFrame(label: string, table: string[]): string[] {
  if (!LABEL_RE.test(label))
    throw new Error(`table frame label ${JSON.stringify(label)}: letters, digits, spaces and ,:()- only`);
  const style = Object.entries(TABLE_FRAME_STYLE)
    .map(([k, v]) => `${k}: '${v}'`)
    .join(', ');
  return [
    `<div className="fb-table-frame" role="region" aria-label="${label}" tabIndex={0} style={{ ${style} }}>`,
    '',
    ...table,
    '',
    TABLE_FRAME_CLOSE,
    '',
  ];
}
