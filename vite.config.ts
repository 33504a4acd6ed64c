import { defineConfig } from "vite";

/**
 * The web console (web/) is built into dist/web, which the server serves at /.
 * `npx vite` runs it with hot reload against a server on MEMORABILIA_API (default
 * http://127.0.0.1:7379): the dev server proxies the API paths there.
 */
const api = process.env.MEMORABILIA_API ?? "http://127.0.0.1:7379";

export default defineConfig({
  root: "web",
  base: "./",
  // The console is Preact with the automatic JSX runtime.
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "../dist/web",
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 600,
  },
  server: {
    host: "127.0.0.1",
    proxy: {
      "^/(memorabilia|grpc)\\.": { target: api, changeOrigin: true },
    },
  },
});
