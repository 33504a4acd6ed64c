import { buildBundles } from "./bundles.js";

/** Vitest global setup (Node project): the bundles every process-level test starts, built once per run. */
export default function setup(): void {
  buildBundles();
}
