/**
 * Where the installed package lives, whatever runs this module: the sources (`server/*.ts` under
 * tsx), the repo's bundles (`dist/*.mjs`), or the published build (`lib/server/*.js`, bins in
 * `lib/bin/`). Files that ship beside the code (package.json, the built console) are found from
 * here, not from the current directory, so a server started from another project still finds them.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The nearest folder, from this module upwards, whose package.json names `memorabilia`. */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "memorabilia"
    )
      return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`memorabilia: no package.json named "memorabilia" above ${import.meta.url}`);
    dir = parent;
  }
}

/** The package's root folder (absolute). */
export const PACKAGE_ROOT = findPackageRoot();

/** The package version, from its package.json (INFO, `Server.Info`). */
export const VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version: string })
  .version;

/** The built web console shipped with the package (`vite build` writes it there). */
export const BUNDLED_CONSOLE_DIR = join(PACKAGE_ROOT, "dist", "web");
