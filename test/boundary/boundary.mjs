/**
 * The boundary check: shared/ is runtime-neutral. It may import only itself, croner,
 * @connectrpc/connect and @bufbuild/protobuf, and may not touch Node or DOM globals.
 *
 * Two independent proofs:
 * 1. esbuild bundles the entry points for the `neutral` platform: any `node:*` or bare Node
 *    builtin import fails to resolve, and every input file must come from an allowed place.
 * 2. The sources are scanned (comments and strings stripped) for Node/DOM globals.
 * (3. `tsc -p shared/tsconfig.json` compiles shared/store without Node or DOM types: see `npm run lint`.)
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { build } from "esbuild";

const ALLOWED_PACKAGES = ["croner", "@connectrpc/connect", "@bufbuild/protobuf"];
const FORBIDDEN_GLOBALS =
  /\b(process|Buffer|require|__dirname|__filename|global|document|window|localStorage|sessionStorage|navigator|XMLHttpRequest|setImmediate)\b(?!\s*:)/;
/** Files allowed to read the real clock or randomness (as injectable defaults). */
const CLOCK_DEFAULTS = new Set(["store/clock.ts", "store/store.ts", "store/map-repository.ts"]);

function stripCommentsAndStrings(src) {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/(^|[^:\\])\/\/.*$/gm, "$1")
    .replace(/`(?:\\[\s\S]|\$\{[^}]*\}|[^`\\])*`/g, "``")
    .replace(/"(?:\\.|[^"\\\n])*"/g, '""')
    .replace(/'(?:\\.|[^'\\\n])*'/g, "''");
}

function listSources(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listSources(p));
    else if (
      p.endsWith(".ts") &&
      !p.endsWith(".test.ts") &&
      !p.endsWith(".test-helpers.ts") &&
      !p.endsWith(".d.ts") &&
      !p.endsWith("testing.ts")
    )
      out.push(p);
  }
  return out;
}

/**
 * Checks `root` (a folder like shared/) with the given entry points.
 * @returns a list of violations (empty when clean)
 */
export async function checkBoundary(root, entryPoints) {
  const problems = [];
  for (const file of listSources(root)) {
    const rel = relative(root, file).split(sep).join("/");
    const code = stripCommentsAndStrings(readFileSync(file, "utf8"));
    code.split("\n").forEach((line, i) => {
      const m = FORBIDDEN_GLOBALS.exec(line);
      if (m) problems.push(`${rel}:${i + 1}: uses the Node/DOM global '${m[1]}'`);
      if (/from\s+["']node:|import\(\s*["']node:/.test(line)) problems.push(`${rel}:${i + 1}: imports a node: module`);
      if (!CLOCK_DEFAULTS.has(rel) && /\bDate\.now\s*\(|\bMath\.random\s*\(/.test(line)) {
        problems.push(`${rel}:${i + 1}: reads Date.now()/Math.random() instead of the injected clock/random`);
      }
    });
  }
  try {
    const result = await build({
      entryPoints,
      bundle: true,
      write: false,
      platform: "neutral",
      format: "esm",
      mainFields: ["module", "main"],
      conditions: ["import", "default"],
      metafile: true,
      logLevel: "silent",
      outdir: "/tmp/memorabilia-boundary",
    });
    for (const input of Object.keys(result.metafile.inputs)) {
      const norm = input.split(sep).join("/");
      const inNodeModules = norm.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/);
      if (inNodeModules) {
        if (!ALLOWED_PACKAGES.includes(inNodeModules[1]))
          problems.push(`bundle pulls in the package '${inNodeModules[1]}' (${norm})`);
      } else if (!norm.startsWith(`${relative(process.cwd(), root).split(sep).join("/")}/`)) {
        problems.push(`bundle pulls in a file outside ${root}: ${norm}`);
      }
    }
  } catch (error) {
    for (const e of error.errors ?? [error])
      problems.push(`bundle: ${e.text ?? e.message}${e.location ? ` (${e.location.file}:${e.location.line})` : ""}`);
  }
  return problems;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const entries = [
    "shared/index.ts",
    "shared/edge/index.ts",
    "shared/edge/deno.ts",
    "shared/edge/bun.ts",
    "shared/edge/cloudflare.ts",
  ].filter((p) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  });
  const problems = await checkBoundary("shared", entries);
  if (problems.length > 0) {
    console.error(
      `Boundary check FAILED: shared/ must use only ECMAScript, Web-standard APIs and ${ALLOWED_PACKAGES.join(", ")}:`,
    );
    for (const p of problems) console.error(`  - ${p}`);
    process.exit(1);
  }
  console.log(`Boundary check passed (${entries.join(", ")} bundle for the neutral platform; sources scanned).`);
}
