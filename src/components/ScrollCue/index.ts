// Scroll cues. A box that scrolls sideways (a markdown table, a mermaid diagram's box, a code
// block) looked like one that ends at the column's edge: nothing said there was more to the
// right. Each such box gets data-scroll-more, the sides where more of it is hidden ("right",
// "left right", "left"), and scroll-cue.css draws a shadow inside that edge; a box whose content
// all shows has no attribute and no shadow.
import './scroll-cue.css';

/** The boxes that scroll sideways in their own frame (custom.css, src/theme/Mermaid, the theme's code blocks). */
export const SCROLL_BOXES = '.markdown table, [data-diagram], .theme-code-block pre';

type Extent = Pick<Element, 'scrollLeft' | 'scrollWidth' | 'clientWidth'>;

/** The sides of a box where some of its content is scrolled out of view, or null when all of it shows. */
export function moreSides({ scrollLeft, scrollWidth, clientWidth }: Extent): string | null {
  const hidden = scrollWidth - clientWidth;
  if (hidden <= 1) return null; // a pixel of rounding is not content
  const sides: string[] = [];
  if (scrollLeft > 1) sides.push('left');
  if (scrollLeft < hidden - 1) sides.push('right');
  return sides.join(' ') || null;
}

/**
 * Keeps every scroll box's data-scroll-more current in `doc`: when it is scrolled (one capturing
 * listener for the page), resized (the window, the column, a diagram drawn larger) or added (a
 * route change, mermaid drawing after the first render). Returns the function that stops it.
 */
export function watchScrollCues(doc: Document): () => void {
  const update = (box: Element) => {
    const more = moreSides(box);
    if (more === box.getAttribute('data-scroll-more')) return;
    if (more) box.setAttribute('data-scroll-more', more);
    else box.removeAttribute('data-scroll-more');
  };
  const resized = new ResizeObserver((entries) => entries.forEach((e) => update(e.target)));
  const observed = new Set<Element>();
  let frame = 0;
  const scan = () => {
    frame = 0;
    for (const box of observed)
      if (!box.isConnected) {
        resized.unobserve(box);
        observed.delete(box);
      }
    for (const box of Array.from(doc.querySelectorAll(SCROLL_BOXES))) {
      if (!observed.has(box)) {
        observed.add(box);
        resized.observe(box);
      }
      update(box); // its content may have changed while its own size did not
    }
  };
  // Once a frame at most, however many nodes a live widget replaced.
  const mutations = new MutationObserver(() => {
    frame ||= requestAnimationFrame(scan);
  });
  mutations.observe(doc.body, { childList: true, subtree: true });
  const scrolled = (e: Event) => {
    if (e.target instanceof Element && e.target.matches(SCROLL_BOXES)) update(e.target);
  };
  doc.addEventListener('scroll', scrolled, { capture: true, passive: true });
  scan();
  return () => {
    doc.removeEventListener('scroll', scrolled, { capture: true });
    mutations.disconnect();
    resized.disconnect();
    cancelAnimationFrame(frame);
  };
}
