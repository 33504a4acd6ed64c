import { bundleEntry } from "../bench/bundle.js";

/**
 * The JavaScript bundles tests run, as users run them: `dist/server.mjs` (what `npm start` runs)
 * and `dist/memo.mjs` (the `memo` CLI). Processes started under tsx pay its module-hook worker
 * thread (seconds to start on a busy machine, costlier GC); a bundle starts in a fraction of a
 * second. Built by `bundleEntry` (test/bench/bundle.ts), the one esbuild recipe for bundles.
 */
export const SERVER_BUNDLE = "dist/server.mjs";
/** The `memo` CLI bundle. */
export const CLI_BUNDLE = "dist/memo.mjs";

/** Bundles the server and the CLI from the current sources (esbuild, well under a second each). */
export function buildBundles(): void {
  bundleEntry("server/main.ts", "server");
  bundleEntry("server/cli/main.ts", "memo");
}
