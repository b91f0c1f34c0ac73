// Vite builds the web UI into ../dist/web, which `berth serve` serves at `/` (src/http/web.ts).
// `npm run dev:web` runs Vite's dev server with the API proxied to a local Berth (web/README.md).
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// The Berth the dev server forwards to; BERTH_URL overrides it.
const target = process.env.BERTH_URL ?? 'http://127.0.0.1:5000';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    // Everything under assets/ carries a content hash (served with a year-long cache).
    chunkSizeWarningLimit: 800,
  },
  server: {
    port: 5173,
    strictPort: true,
    proxy: {
      '/api': { target, changeOrigin: false },
      '/v2': { target, changeOrigin: false },
      '/v1': { target, changeOrigin: false },
    },
  },
});
