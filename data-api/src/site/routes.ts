import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { answerRunPage, runPageShell } from './run-pages.ts';

/**
 * Serves the built Docusaurus site at `/`. Docusaurus (trailingSlash: false) writes
 * `/docs/x` as `docs/x.html` and folder indexes as `index.html`: unknown paths try
 * those, then the site's own 404 page. While the site builds, a holding page says so.
 */
export async function siteRoutes(app: FastifyInstance) {
  const siteDir = app.ctx.siteDir;
  if (!siteDir) return;
  fs.mkdirSync(siteDir, { recursive: true });

  await app.register(fastifyStatic, { root: siteDir, wildcard: false, index: ['index.html'], redirect: false });

  app.setNotFoundHandler(async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return reply.status(404).send({ error: 'not_found', message: `no route ${request.method} ${request.url}` });
    }
    const status = app.ctx.siteStatus();
    const urlPath = decodeURIComponent(request.url.split('?')[0]!).replace(/\/+$/, '') || '/';
    // A run page: the built page when there is one, else the live shell (drawn from the API).
    const run = answerRunPage(siteDir, urlPath);
    if (run?.kind === 'static') return reply.redirect(run.url, 302);
    if (run?.kind === 'shell')
      return reply.header('cache-control', 'no-cache').sendFile(run.file, { cacheControl: false });
    for (const candidate of [`${urlPath}.html`, `${urlPath}/index.html`, urlPath]) {
      const file = path.join(siteDir, path.normalize(candidate));
      if (file.startsWith(siteDir) && isFile(file)) return reply.sendFile(path.relative(siteDir, file));
    }
    // A run page the build holds as MDX: the shell that draws it (plugins/run-pages).
    const shell = runPageShell(siteDir, urlPath);
    if (shell) return reply.sendFile(shell);
    if (status.status !== 'ready' && !isFile(path.join(siteDir, 'index.html')))
      return holdingPage(reply, status.status, status.error);
    if (isFile(path.join(siteDir, '404.html'))) return reply.status(404).sendFile('404.html');
    return reply.status(404).type('text/plain').send('not found');
  });
}

function holdingPage(reply: FastifyReply, state: string, error?: string) {
  const message =
    state === 'failed'
      ? `The site build failed: ${escapeHtml(error ?? 'see the server log')}. The API is up at <a href="/api/v1/health">/api/v1/health</a>.`
      : 'The site is being built; this page reloads by itself. The API is already up at <a href="/api/v1/health">/api/v1/health</a>.';
  return reply
    .status(503)
    .header('retry-after', '5')
    .type('text/html')
    .send(
      `<!doctype html><html><head><meta charset="utf-8"><title>fleetbook</title>${state === 'failed' ? '' : '<meta http-equiv="refresh" content="5">'}</head>` +
        `<body style="font-family:system-ui;max-width:40em;margin:4em auto"><h1>fleetbook</h1><p>${message}</p></body></html>`,
    );
}

const isFile = (file: string) => {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
};
const escapeHtml = (s: string) => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
