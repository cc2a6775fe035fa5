import type { Config } from '@docusaurus/types';
import type * as Preset from '@docusaurus/preset-classic';
import { themes as prismThemes } from 'prism-react-renderer';
import remarkLibrary from './plugins/remark-library/index.ts';
import remarkRunbook from './plugins/remark-runbook/index.ts';
import remarkRunbookRunner from './plugins/remark-runbook/runner.ts';
import liveRunRoute, { LIVE_RUN_ROUTE } from './plugins/live-run-route/index.ts';
import { withContrast } from './plugins/prism-contrast/index.ts';
import runPages, {
  DOCS_EXCLUDE_DEFAULT,
  RUN_MONTH_SHELL_ROUTE,
  RUN_PAGE_SHELL_ROUTE,
  RUN_PAGES_EXCLUDE,
} from './plugins/run-pages/index.ts';

// Wiring only: each plugin validates its own options.

/** Where widgets find the data API: same origin unless the site is hosted apart. */
const apiUrl = process.env.FLEETBOOK_API_URL ?? '';

const config: Config = {
  title: 'fleetbook',
  tagline: 'The operations handbook that knows the fleet',
  favicon: 'img/favicon.svg',
  // Where users reach the site (FLEETBOOK_PUBLIC_URL, the API's setting too): the sitemap, canonical
  // links and social cards name it. Its origin only: the site is served at the root of its host.
  url: new URL(process.env.FLEETBOOK_PUBLIC_URL ?? process.env.FLEETBOOK_SITE_URL ?? 'http://localhost:3000').origin,
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
  // buildId: set by fleetbook's background builds, so an open page can tell a newer build is served.
  customFields: { apiUrl, buildId: process.env.FLEETBOOK_BUILD_ID ?? '' },
  themes: [
    '@docusaurus/theme-mermaid',
    [
      // Local search over both docs instances, built into the site (works offline, no service).
      '@easyops-cn/docusaurus-search-local',
      {
        hashed: true,
        indexBlog: false,
        docsRouteBasePath: ['docs', 'runbooks'],
        docsDir: ['docs', 'runbooks'],
        language: ['en'],
        explicitSearchResultPath: true,
        searchResultLimits: 10,
        // Run lists and run pages (plugins/run-pages) are reached from the project, not by search.
        ignoreFiles: [/^docs\/projects\/[^/]+\/runs(\/|$)/],
      },
    ],
  ],
  presets: [
    [
      'classic',
      {
        docs: {
          path: 'docs',
          routeBasePath: 'docs',
          sidebarPath: './sidebars.ts',
          // Run pages, month pages and run indexes are drawn by plugins/run-pages, not compiled as docs.
          exclude: [...DOCS_EXCLUDE_DEFAULT, RUN_PAGES_EXCLUDE],
          editUrl: undefined,
          beforeDefaultRemarkPlugins: [
            [remarkRunbook, { siteDir: __dirname }],
            remarkRunbookRunner,
            [remarkLibrary, { siteDir: __dirname }],
          ],
        },
        blog: false,
        // The run routes' shells (`/docs/projects/:project/runs/:run`) are patterns the browser
        // fills in, not pages: a crawler or a phone's offline sweep would fetch them as pages.
        sitemap: { ignorePatterns: [LIVE_RUN_ROUTE, RUN_PAGE_SHELL_ROUTE, RUN_MONTH_SHELL_ROUTE] },
        theme: { customCss: './src/css/custom.css' },
      } satisfies Preset.Options,
    ],
  ],
  plugins: [
    liveRunRoute,
    runPages,
    [
      // Installable, and readable offline after one visit: technicians at field sites are the main
      // runbook users. src/sw.js adds the data API's reads (network first).
      '@docusaurus/plugin-pwa',
      {
        offlineModeActivationStrategies: ['always'],
        swCustom: require.resolve('./src/sw.js'),
        // Run pages, artifacts and month rows (plugins/run-pages) are fetched when opened, never precached.
        injectManifestConfig: { globIgnores: ['docs/projects/*/runs/**'] },
        pwaHead: [
          { tagName: 'link', rel: 'icon', href: '/img/icon-192.png' },
          { tagName: 'link', rel: 'manifest', href: '/manifest.json' },
          { tagName: 'meta', name: 'theme-color', content: '#1f7a4d' },
          { tagName: 'meta', name: 'apple-mobile-web-app-capable', content: 'yes' },
          { tagName: 'link', rel: 'apple-touch-icon', href: '/img/icon-192.png' },
        ],
      },
    ],
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
      // Decorative: the title beside it names the link (an alt of 'fleetbook' was read twice).
      logo: { alt: '', src: 'img/logo.svg' },
      items: [
        { type: 'docSidebar', sidebarId: 'docs', position: 'left', label: 'Handbook' },
        { to: '/docs/dashboards', label: 'Dashboards', position: 'left' },
        { to: '/docs/dashboards/my-work', label: 'My work', position: 'left' },
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
    prism: {
      theme: withContrast(prismThemes.github),
      darkTheme: withContrast(prismThemes.dracula),
      additionalLanguages: ['bash', 'json', 'yaml'],
    },
  } satisfies Preset.ThemeConfig,
};

export default config;
