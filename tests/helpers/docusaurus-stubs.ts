// Unit tests that render a page's components on the server, without a Docusaurus app: stand-ins
// for the Docusaurus client modules they import, each handed to vi.mock by a factory
// (`vi.mock('@docusaurus/Link', () => import('../helpers/docusaurus-stubs.ts').then((m) => m.link))`:
// vi.mock must sit in the test file itself), and the server renderer.
import { createRequire } from 'node:module';
import { createElement, type ReactNode } from 'react';

/** `@docusaurus/Link` as the anchor it renders. */
export const link = {
  default: ({ to, children, ...rest }: { to: string; children: ReactNode }) =>
    createElement('a', { href: to, ...rest }, children),
};
export const browserOnly = { default: () => null };
export const docusaurusContext = {
  default: () => ({ siteConfig: { customFields: { apiUrl: 'http://api.invalid' } } }),
};

// react-dom ships no types here (no @types/react-dom): one typed require.
export const { renderToStaticMarkup } = createRequire(import.meta.url)('react-dom/server') as {
  renderToStaticMarkup(element: unknown): string;
};
