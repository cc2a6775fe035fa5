// A registry page (src/components/FleetPage) opened with a malformed id (`/site?id=nope`): one
// message naming the id it expected, and no widget, so no request the API can only refuse.
import { createElement, type ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { renderToStaticMarkup } from '../helpers/docusaurus-stubs.ts';

let search = '';
vi.mock('@docusaurus/Link', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.link));
vi.mock('@theme/Layout', () => ({ default: ({ children }: { children: ReactNode }) => children }));
vi.mock('@docusaurus/router', () => ({ useLocation: () => ({ search }) }));
vi.mock('@docusaurus/BrowserOnly', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.browserOnly));
vi.mock('@docusaurus/useIsBrowser', () => ({ default: () => true }));
vi.mock('@docusaurus/useDocusaurusContext', () =>
  import('../helpers/docusaurus-stubs.ts').then((m) => m.docusaurusContext),
);

describe('a registry page opened with a malformed id', () => {
  it('says which kind of id it expected, and renders no widget (none asks the API)', async () => {
    const { FleetPage } = await import('../../src/components/FleetPage/index.tsx');
    const { fleetIdProblem } = await import('../../src/components/FleetPage/fleetId.ts');
    expect(fleetIdProblem('site', 'nope')).toBe('nope is not a site id: expected site_…');
    expect(fleetIdProblem('deployment', 'site_farm-north')).toBe(
      'site_farm-north is not a deployment id: expected dep_…',
    );
    expect(fleetIdProblem('device', 'dev_x y')).toBe('dev_x y is not a device id: expected dev_… or gw_…');
    for (const [kind, id] of [
      ['site', 'site_farm-north'],
      ['deployment', 'dep_farm-north-1'],
      ['device', 'gw_farm-north-1-002'],
      ['device', 'dev_farm-north-4-001'],
    ] as const)
      expect(fleetIdProblem(kind, id), `${kind} ${id}`).toBeNull();

    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    search = '?id=nope';
    const bad = renderToStaticMarkup(createElement(FleetPage, { kind: 'site' }));
    expect(bad).toContain('data-testid="fleet-page-bad-id"');
    expect(bad).toContain('nope is not a site id: expected site_…');
    expect(bad).not.toContain('data-widget');
    expect(bad).not.toContain('data-testid="site-facts"');
    // A well-formed id renders the widgets (the control: the check above is not vacuous).
    search = '?id=site_farm-north';
    const good = renderToStaticMarkup(createElement(FleetPage, { kind: 'site' }));
    expect(good).not.toContain('fleet-page-bad-id');
    expect(good).toContain('data-testid="site-facts"');
    expect(fetchSpy).not.toHaveBeenCalled();
    fetchSpy.mockRestore();
  });
});
