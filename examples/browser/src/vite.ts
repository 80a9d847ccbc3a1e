// The page's Vite set-up, used by build and serve. Our packages resolve through
// their `@airbench-ts/source` export condition (their TypeScript sources), so
// the page builds from a fresh checkout without `npm run build`; a user's app
// resolves the same imports to the packages' dist/ through `import`.
import { fileURLToPath } from 'node:url';
import type { InlineConfig } from 'vite';

export const PAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));

export function viteConfig(out: string, port = 5173): InlineConfig {
  return {
    root: PAGE_ROOT,
    configFile: false,
    logLevel: 'warn',
    base: './',
    // A multi-page app to Vite: a missing file is a 404, not index.html (the SPA fallback), so a page built
    // without --model finds no node.json instead of failing to parse the HTML as JSON.
    appType: 'mpa',
    resolve: { conditions: ['@airbench-ts/source', 'module', 'browser', 'development|production'] },
    build: { outDir: out, emptyOutDir: true, chunkSizeWarningLimit: 4096 },
    preview: { port, strictPort: port !== 0, host: '127.0.0.1' },
  };
}
