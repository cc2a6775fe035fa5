// The service worker's own part (@docusaurus/plugin-pwa `swCustom`). The plugin precaches the built
// site; this adds what a technician at a site without signal needs:
// - pages: network first, else the precached page. The site is built with trailingSlash: false
//   (`/runbooks/x` is `runbooks/x.html`), which the plugin's own lookup does not try;
// - the data API's reads, network first, so an execution opened before can still be read — and
//   ticked, through the runner's offline queue. The live stream is never cached.
import { registerRoute } from 'workbox-routing';
import { NetworkFirst } from 'workbox-strategies';
import { ExpirationPlugin } from 'workbox-expiration';

async function precachedPage(url) {
  const { pathname } = new URL(url);
  const candidates = pathname.endsWith('/')
    ? [`${pathname}index.html`]
    : [`${pathname}.html`, `${pathname}/index.html`];
  for (const candidate of candidates) {
    const hit = await caches.match(candidate, { ignoreSearch: true });
    if (hit) return hit;
  }
  return (await caches.match('/404.html', { ignoreSearch: true })) ?? Response.error();
}

export default function swCustom() {
  registerRoute(
    ({ request, url }) =>
      request.mode === 'navigate' && url.origin === self.location.origin && !url.pathname.startsWith('/api/'),
    async ({ request }) => {
      try {
        return await fetch(request);
      } catch {
        return precachedPage(request.url);
      }
    },
  );
  registerRoute(
    ({ url, request }) =>
      request.method === 'GET' &&
      url.origin === self.location.origin &&
      url.pathname.startsWith('/api/v1/') &&
      !url.pathname.startsWith('/api/v1/stream'),
    new NetworkFirst({
      cacheName: 'fleetbook-api',
      networkTimeoutSeconds: 4,
      plugins: [new ExpirationPlugin({ maxEntries: 300, maxAgeSeconds: 7 * 86_400 })],
    }),
  );
}
