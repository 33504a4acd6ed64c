/**
 * Bundles the runtime entries (shared/edge + its dependencies) for the neutral platform, the way
 * a user deploys them: one ESM file per runtime, no Node built-ins. Output goes to a temp dir.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

/** The entries, by runtime. */
export const ENTRIES = {
  deno: "test/runtime/entries/deno.ts",
  bun: "test/runtime/entries/bun.ts",
  worker: "test/runtime/entries/worker.ts",
} as const;

/** Where the bundles went: `<dir>/deno.js`, `<dir>/bun.js`, `<dir>/worker.js`. */
export interface Bundles {
  readonly dir: string;
  readonly files: Record<keyof typeof ENTRIES, string>;
}

/** Builds every entry into a fresh temp dir. Fails if anything pulls in a Node built-in. */
export async function buildBundles(): Promise<Bundles> {
  const dir = mkdtempSync(join(tmpdir(), "memorabilia-edge-"));
  await build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, path]) => [name, path])),
    bundle: true,
    platform: "neutral",
    format: "esm",
    mainFields: ["module", "main"],
    conditions: ["import", "default"],
    target: "es2022",
    outdir: dir,
    logLevel: "silent",
  });
  const files = {
    deno: join(dir, "deno.js"),
    bun: join(dir, "bun.js"),
    worker: join(dir, "worker.js"),
  };
  return { dir, files };
}
