// A run or action state's icon in a committed page: a plain span that the handbook's stylesheet draws
// (src/css/custom.css, `.fb-state`), never emoji — Debian's Chromium has no emoji font and draws ✅ as
// an empty box — and never an MDX component, which a site without fleetbook's theme could not render.
// Elsewhere the span is empty and the word beside it still says the state.
const STATE_KNOWN = new Set(['succeeded', 'failed', 'skipped', 'queued', 'running']);

export function stateMark(state: string): string {
  return STATE_KNOWN.has(state) ? `<span className="fb-state fb-state--${state}" aria-hidden="true" />` : '';
}
