import type { Config } from '@docusaurus/types';
import type * as Preset from '@docusaurus/preset-classic';
import { themes as prismThemes } from 'prism-react-renderer';
import remarkRunbook from './plugins/remark-runbook/index.ts';
import remarkRunbookRunner from './plugins/remark-runbook/runner.ts';

// Wiring only: each plugin validates its own options.

/** Where widgets find the data API: same origin unless the site is hosted apart. */
const apiUrl = process.env.FLEETBOOK_API_URL ?? '';

const config: Config = {
  title: 'fleetbook',
  tagline: 'The operations handbook that knows the fleet',
  favicon: 'img/favicon.svg',
  url: process.env.FLEETBOOK_SITE_URL ?? 'http://localhost:3000',
  baseUrl: '/',
  trailingSlash: false,
  onBrokenLinks: 'throw',
  onBrokenAnchors: 'warn',
  markdown: {
    mermaid: true,
    hooks: { onBrokenMarkdownLinks: 'throw' },
  },
  future: { v4: true, faster: true },
  i18n: { defaultLocale: 'en', locales: ['en'] },
  customFields: { apiUrl },
  themes: ['@docusaurus/theme-mermaid'],
  presets: [
    [
      'classic',
      {
        docs: {
          path: 'docs',
          routeBasePath: 'docs',
          sidebarPath: './sidebars.ts',
          editUrl: undefined,
          beforeDefaultRemarkPlugins: [[remarkRunbook, { siteDir: __dirname }], remarkRunbookRunner],
        },
        blog: false,
        theme: { customCss: './src/css/custom.css' },
      } satisfies Preset.Options,
    ],
  ],
  plugins: [
    [
      '@docusaurus/plugin-content-docs',
      {
        id: 'runbooks',
        path: 'runbooks',
        routeBasePath: 'runbooks',
        sidebarPath: './sidebars.runbooks.ts',
        beforeDefaultRemarkPlugins: [[remarkRunbook, { siteDir: __dirname }], remarkRunbookRunner],
      },
    ],
  ],
  themeConfig: {
    colorMode: { respectPrefersColorScheme: true },
    mermaid: { theme: { light: 'neutral', dark: 'dark' } },
    navbar: {
      title: 'fleetbook',
      logo: { alt: 'fleetbook', src: 'img/logo.svg' },
      items: [
        { type: 'docSidebar', sidebarId: 'docs', position: 'left', label: 'Handbook' },
        { to: '/docs/dashboards', label: 'Dashboards', position: 'left' },
        { type: 'docSidebar', sidebarId: 'runbooks', docsPluginId: 'runbooks', position: 'left', label: 'Runbooks' },
        { href: 'pathname:///api/v1/openapi.json', label: 'API', position: 'right' },
      ],
    },
    footer: {
      style: 'dark',
      links: [
        {
          title: 'Handbook',
          items: [
            { label: 'Getting started', to: '/docs/getting-started' },
            { label: 'Architecture', to: '/docs/architecture' },
            { label: 'Products', to: '/docs/products' },
          ],
        },
        {
          title: 'Operate',
          items: [
            { label: 'Runbooks', to: '/runbooks' },
            { label: 'Dashboards', to: '/docs/dashboards' },
            { label: 'API health', href: 'pathname:///api/v1/health' },
          ],
        },
      ],
      copyright: 'fleetbook: docs-as-code operations handbook',
    },
    prism: { theme: prismThemes.github, darkTheme: prismThemes.dracula, additionalLanguages: ['bash', 'json', 'yaml'] },
  } satisfies Preset.ThemeConfig,
};

export default config;
