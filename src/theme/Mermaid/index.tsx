// A mermaid diagram in a box of its own that scrolls sideways. Mermaid fits a diagram to its
// column: on a phone (358 px of column) a flowchart 1,300–2,300 px wide was drawn at a fifth of its
// size, and on a desktop (703 px of column at 1280 px) the 2,272 px one at 31 %, 5 px text. At every
// width a diagram is drawn at MIN_DIAGRAM_SCALE of its size at least (styles.module.css) and scrolls
// in this box instead of widening the page; one that fits its column is drawn as before.
import React, { useEffect, useRef, type ReactNode } from 'react';
import Mermaid from '@theme-original/Mermaid';
import type { Props } from '@theme/Mermaid';
import styles from './styles.module.css';

/** The smallest a diagram is drawn: mermaid's 16 px text (its themes' fontSize) at 12 px. */
export const MIN_DIAGRAM_SCALE = 0.75;

/** Each drawn diagram's least width, from its own size (its viewBox), as --fb-diagram-min. */
function setLeastWidth(box: HTMLElement): void {
  for (const svg of Array.from(box.querySelectorAll<SVGSVGElement>('.docusaurus-mermaid-container > svg'))) {
    const width = svg.viewBox.baseVal?.width;
    if (width) svg.style.setProperty('--fb-diagram-min', `${Math.round(width * MIN_DIAGRAM_SCALE)}px`);
  }
}

export default function MermaidBox(props: Props): ReactNode {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    setLeastWidth(el);
    // Mermaid draws after the first render, and again when the colour mode changes.
    const observer = new MutationObserver(() => setLeastWidth(el));
    observer.observe(el, { childList: true, subtree: true });
    return () => observer.disconnect();
  }, []);
  // A box that scrolls is a tab stop, as the theme's code blocks are (axe scrollable-region-focusable).
  return (
    <div ref={box} className={styles.box} data-diagram="" tabIndex={0} role="group" aria-label="diagram">
      <Mermaid {...props} />
    </div>
  );
}
