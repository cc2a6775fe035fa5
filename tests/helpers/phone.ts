import type { BrowserContextOptions, Page } from 'playwright-core';

/** A field engineer's phone: 390×844 CSS px, touch, light theme (sunlight). */
export const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  isMobile: true,
  hasTouch: true,
  colorScheme: 'light',
  // The PWA's service worker would precache the whole site in the background of every page.
  serviceWorkers: 'block',
};

/** The paths the built site's sitemap.xml lists, in its order. */
export async function sitemapPaths(base: string): Promise<string[]> {
  const xml = await (await fetch(`${base}/sitemap.xml`)).text();
  return [...xml.matchAll(/<loc>([^<]+)<\/loc>/g)].map((m) => new URL(m[1]!).pathname);
}

/**
 * Opens `url` (a path and its query) as following a link does once the site is open in `page`:
 * Docusaurus's client router (history push, popstate), the route's code preloaded first. A whole
 * page load for each page (the site's scripts parsed and run again) made a sweep of the sitemap
 * 4–5× slower. The first page, and one whose title has not changed after 5 s, is loaded whole.
 */
export async function openInApp(page: Page, base: string, url: string): Promise<void> {
  const title = await page.title();
  const inApp = page.url().startsWith(`${base}/`) && (await page.evaluate(() => 'docusaurus' in window));
  if (inApp) {
    await page.evaluate(async (url) => {
      await (window as unknown as { docusaurus: { preload(path: string): Promise<void> } }).docusaurus.preload(
        url.split('?')[0]!,
      );
      history.pushState(null, '', url);
      dispatchEvent(new PopStateEvent('popstate', { state: null }));
    }, url);
    const moved = await page
      .waitForFunction((title) => document.title !== title, title, { timeout: 5_000 })
      .then(
        () => true,
        () => false,
      );
    if (moved) return;
  }
  await page.goto(base + url);
}

/**
 * Waits, for at most `capMs`, until the page's live widgets have left their placeholder and
 * loading states (empty, unavailable and error are states too) and its mermaid diagrams are drawn
 * (each is a server-rendered `[data-diagram]` box, src/theme/Mermaid, that mermaid draws into).
 */
export async function settle(page: Page, capMs = 10_000): Promise<void> {
  await page
    .waitForFunction(
      () =>
        Array.from(document.querySelectorAll('[data-widget][data-state]')).every(
          (e) => !['loading', 'placeholder'].includes(e.getAttribute('data-state') ?? ''),
        ) && Array.from(document.querySelectorAll('[data-diagram]')).every((e) => e.querySelector('svg')),
      undefined,
      { timeout: capMs, polling: 100 },
    )
    .catch(() => undefined); // what has not settled by then is checked as it is
}

/** The least share of its size a diagram may be drawn at (src/theme/Mermaid: 16 px text at 12 px). */
export const MIN_DIAGRAM_SCALE = 0.75;
/** WCAG 2.2 AA 2.5.8: a target of at least 24×24 CSS px, or 24 px of room around a smaller one. */
export const MIN_TARGET_PX = 24;

/**
 * What does not work on this page at the width it is shown, each named by the element at fault
 * (tag, id or test id, classes, its size); only what is rendered counts, not what is hidden or
 * sits in a closed <details>:
 *  - the page scrolls sideways: an element reaches past the right edge and no container of its
 *    own scrolls it (the outermost such element, and the widest element inside it that is the cause);
 *  - a diagram shrunk below MIN_DIAGRAM_SCALE of its size to fit the screen, or not drawn;
 *  - a control (button, field, summary, a link that is not a word in a sentence) cut off at the
 *    screen's edge, whose own text overflows its box, lying on another control, or a tap target
 *    under 24×24 px with another target within its 24 px circle (the rule of axe-core's
 *    target-size, measured here in a few milliseconds a page instead of axe's second).
 */
export function layoutProblems(page: Page): Promise<string[]> {
  return page.evaluate(
    ([minScale, minTarget]) => {
      const vw = document.documentElement.clientWidth;
      const out: string[] = [];
      const rect = (el: Element) => el.getBoundingClientRect();
      const name = (el: Element): string => {
        const r = rect(el);
        const id = el.id ? `#${el.id}` : '';
        const testId = el.getAttribute('data-testid') ? `[data-testid=${el.getAttribute('data-testid')}]` : '';
        const cls = Array.from(el.classList)
          .slice(0, 3)
          .map((c) => `.${c}`)
          .join('');
        const text = (el.textContent ?? '').trim().replace(/\s+/g, ' ').slice(0, 30);
        return `<${el.tagName.toLowerCase()}${id}${testId}${cls}>${text ? ` "${text}"` : ''} ${Math.round(r.width)}×${Math.round(r.height)} px at x ${Math.round(r.left)}–${Math.round(r.right)}`;
      };
      const shown = (el: Element): boolean => {
        // Not rendered: display: none on it or above it, or inside a closed <details> (Chromium lays
        // out its content under content-visibility: hidden, so it has a size but is not on screen).
        if (!el.checkVisibility({ visibilityProperty: true, opacityProperty: true })) return false;
        const r = rect(el);
        return r.width > 1 && r.height > 1; // else not drawn, or visually hidden for screen readers
      };
      // Fixed (the navbar, the skip link parked off screen) or inside a box that clips or scrolls
      // sideways (below <body>): it cannot widen the page.
      const contained = (el: Element): boolean => {
        for (let a: Element | null = el; a && a !== document.body; a = a.parentElement) {
          const s = getComputedStyle(a);
          if (s.position === 'fixed') return true;
          if (a !== el && s.overflowX !== 'visible') return true;
        }
        return false;
      };
      const all = Array.from(document.body.querySelectorAll('*'));

      if (document.documentElement.scrollWidth > vw) {
        out.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px wide on a ${vw} px screen`);
        const sticking = new Set(all.filter((el) => rect(el).right > vw + 1 && shown(el) && !contained(el)));
        for (const el of sticking) {
          if (el.parentElement && sticking.has(el.parentElement)) continue;
          const widest = Array.from(el.querySelectorAll('*'))
            .filter((d) => sticking.has(d) && !Array.from(d.children).some((c) => sticking.has(c)))
            .sort((a, b) => rect(b).right - rect(a).right)[0];
          out.push(`wider than the screen: ${name(el)}${widest ? `, because of ${name(widest)}` : ''}`);
        }
      }

      for (const box of Array.from(document.querySelectorAll('[data-diagram], .docusaurus-mermaid-container'))) {
        if (box.matches('[data-diagram] .docusaurus-mermaid-container')) continue;
        const svg = box.querySelector<SVGSVGElement>('svg');
        if (!svg) {
          out.push(`diagram not drawn: ${name(box)}`);
          continue;
        }
        const natural = svg.viewBox.baseVal?.width;
        const scale = natural ? rect(svg).width / natural : 1;
        if (scale < minScale - 0.01)
          out.push(
            `diagram shrunk to ${Math.round(scale * 100)}% to fit (its text ~${Math.round(16 * scale)} px): <svg ${svg.getAttribute('aria-roledescription') ?? ''}> ${Math.round(natural)} px drawn in ${Math.round(rect(svg).width)} px`,
          );
      }

      const controls = all.filter(
        (el) =>
          el.matches(
            'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [role=link], [role=tab], [role=checkbox], [role=switch], [role=menuitem], [role=option]',
          ) &&
          !el.matches(':disabled') &&
          shown(el),
      );
      // A link (or button) that is a few words of a sentence is exempt from the target size (WCAG 2.5.8 "inline").
      const inline = (el: Element): boolean => {
        if (getComputedStyle(el).display !== 'inline') return false;
        let block = el.parentElement;
        while (block && getComputedStyle(block).display.startsWith('inline')) block = block.parentElement;
        const text = (block?.textContent ?? '').replace(/\s+/g, '');
        return text.length > (el.textContent ?? '').replace(/\s+/g, '').length;
      };
      const boxes = controls.map((el) => ({ el, r: rect(el), parts: Array.from(el.getClientRects()) }));
      const small = (r: DOMRect) => r.width < minTarget - 0.05 || r.height < minTarget - 0.05;
      const centre = (r: DOMRect) => [r.left + r.width / 2, r.top + r.height / 2] as const;
      for (const [i, { el, r, parts }] of boxes.entries()) {
        if ((r.right > vw + 1 || r.left < -1) && !contained(el))
          out.push(`control cut off at the screen's edge: ${name(el)}`);
        const s = getComputedStyle(el);
        if (
          !el.matches('input, select, textarea') &&
          s.overflowX !== 'visible' &&
          s.textOverflow !== 'ellipsis' &&
          el.scrollWidth > el.clientWidth + 1
        )
          out.push(`control's text cut off (${el.scrollWidth} px in ${el.clientWidth} px): ${name(el)}`);
        // Box by box: a link that wraps is two boxes on two lines, not the rectangle around them.
        for (const { el: other, parts: o } of boxes.slice(i + 1)) {
          if (el.contains(other) || other.contains(el)) continue;
          const overlap = parts.some((a) =>
            o.some(
              (b) =>
                Math.min(a.right, b.right) - Math.max(a.left, b.left) > 4 &&
                Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 4,
            ),
          );
          if (overlap) out.push(`controls overlap: ${name(el)} and ${name(other)}`);
        }
        if (!small(r) || inline(el)) continue;
        // 2.5.8's spacing: a 24 px circle on its centre touches no other target nor another small one's circle.
        const [cx, cy] = centre(r);
        const near = boxes.find(({ el: other, r: o }) => {
          if (other === el || el.contains(other) || other.contains(el)) return false;
          if (small(o) && !inline(other)) {
            const [ox, oy] = centre(o);
            return Math.hypot(cx - ox, cy - oy) < minTarget - 0.05;
          }
          const dx = Math.max(o.left - cx, 0, cx - o.right);
          const dy = Math.max(o.top - cy, 0, cy - o.bottom);
          return Math.hypot(dx, dy) < minTarget / 2 - 0.05;
        });
        if (near)
          out.push(
            `tap target under ${minTarget}×${minTarget} px, too close to another: ${name(el)}, next to ${name(near.el)}`,
          );
      }
      return out;
    },
    [MIN_DIAGRAM_SCALE, MIN_TARGET_PX] as const,
  );
}
