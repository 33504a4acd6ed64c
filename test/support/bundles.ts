import { buildSync } from "esbuild";

/**
 * The JavaScript bundles tests run, as users run them: `dist/server.mjs` (what `npm start` runs)
 * and `dist/memo.mjs` (the `memo` CLI). Processes started under tsx pay its module-hook worker
 * thread (seconds to start on a busy machine, costlier GC); a bundle starts in a fraction of a
 * second. Packages stay external (resolved from node_modules at run time); the bundles sit one
 * level under the root, like `server/*.ts`, so `new URL("../package.json", import.meta.url)` holds.
 */
export const SERVER_BUNDLE = "dist/server.mjs";
/** The `memo` CLI bundle. */
export const CLI_BUNDLE = "dist/memo.mjs";

/** Bundles the server and the CLI from the current sources (esbuild, well under a second each). */
export function buildBundles(): void {
  for (const [entry, outfile] of [
    ["server/main.ts", SERVER_BUNDLE],
    ["server/cli/main.ts", CLI_BUNDLE],
  ] as const) {
    buildSync({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      logLevel: "warning",
    });
  }
}
