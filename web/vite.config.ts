// The UI's build (run by the gateway itself, src/modules/web/build.ts; `npx vite` in web/ for a
// dev server proxied to a running gateway on :8080).
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  // JSX compiles to Preact's runtime; no React, no Babel.
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  resolve: { alias: { react: 'preact/compat', 'react-dom': 'preact/compat' } },
  build: {
    target: 'es2022',
    assetsDir: 'assets',
    // One small bundle: the whole UI is well under the 150 KB budget; no inline scripts (CSP).
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
