/**
 * The published package, used as a stranger would: `npm pack` (which runs `prepack`: the tsc build
 * into lib/, the `memo` bundle and the console), `npm install <tarball>` into a fresh project
 * outside the repo, then plain Node (ESM and CommonJS, no tsx, no bundler), the bins, the `.d.ts`
 * through tsc, a Vite app in Chromium (the browser client over gRPC-Web) and the edge entries in
 * Deno and Bun. Nothing here resolves the repo's sources.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { chromium } from "playwright";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../vitest.config.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

const run = promisify(execFile);
const ROOT = process.cwd();
const BIN = join(ROOT, "node_modules", ".bin");
/** Generous: the machine running the suite is shared and loaded. */
const SLOW = 120_000;

let dir: string;
let project: string;
let installed: string;
let tarball: string;
let server: ServerProcess | undefined;

/** Runs `file` with `args` in the temp project; resolves with stdout+stderr, rejects on a non-zero exit. */
async function inProject(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  try {
    const { stdout, stderr } = await run(file, args, {
      cwd: project,
      env: { ...process.env, ...env, NODE_OPTIONS: "" },
      timeout: SLOW,
    });
    return stdout + stderr;
  } catch (error) {
    const e = error as { message: string; stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`);
  }
}

/** Every file under `root`, relative, with `/` separators. */
function walk(root: string, prefix = ""): string[] {
  return readdirSync(join(root, prefix), { withFileTypes: true }).flatMap((entry) => {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? walk(root, rel) : [rel];
  });
}

/** The targets of an `exports` value, skipping the repo-only `memorabilia-source` condition. */
function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([condition, v]) =>
    condition === "memorabilia-source" ? [] : exportTargets(v),
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "memorabilia-package-"));
  const { stdout } = await run("npm", ["pack", "--pack-destination", dir, "--json"], {
    cwd: ROOT,
    timeout: 300_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as { filename: string; size: number }[];
  if (!packed) throw new Error(`npm pack printed no package:\n${stdout}`);
  tarball = join(dir, packed.filename);
  console.log(`package: ${packed.filename}, ${(packed.size / 1024).toFixed(0)} KiB packed`);
  project = join(dir, "app");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  await run("npm", ["install", tarball, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: project,
    timeout: 300_000,
  });
  installed = join(project, "node_modules", "memorabilia");
  // The installed server bin, run from the project (not the repo): it must find its own console.
  server = await startServerProcess([], {}, join(project, "node_modules", ".bin", "memorabilia-server"), project);
}, 420_000);

afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("npm pack + npm install <tarball> in a fresh project", () => {
  it("ships the built JavaScript, .d.ts, bins, console and .proto files, and no sources or tests", () => {
    const files = walk(installed);
    for (const required of [
      "package.json",
      "README.md",
      "LICENSE",
      "lib/bin/memo.mjs",
      "lib/server/main.js",
      "dist/web/index.html",
      "proto/memorabilia/v1/strings_service.proto",
    ])
      expect(files, required).toContain(required);
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
      exports: Record<string, unknown>;
      bin: Record<string, string>;
    };
    // A subpath pattern ("./proto/*") must at least have its folder.
    for (const [entry, value] of Object.entries(manifest.exports))
      for (const target of exportTargets(value))
        expect(existsSync(join(installed, target.split("*")[0] as string)), `exports["${entry}"] -> ${target}`).toBe(
          true,
        );
    for (const bin of Object.values(manifest.bin)) expect(existsSync(join(installed, bin)), bin).toBe(true);
    const stray = files.filter(
      (f) => (/\.(ts|tsx)$/.test(f) && !f.endsWith(".d.ts")) || /\.test\./.test(f) || f.startsWith("test/"),
    );
    expect(stray).toEqual([]);
    expect(files.some((f) => f.endsWith(".proto") && f.startsWith("proto/memorabilia/"))).toBe(true);
    expect(files.filter((f) => f.startsWith("dist/") && !f.startsWith("dist/web/"))).toEqual([]);
  });

  it("every package the built code imports is a runtime dependency (not a devDependency)", () => {
    const manifest = JSON.parse(readFileSync(join(installed, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set<string>();
    for (const file of walk(installed).filter((f) => /^lib\/.*\.m?js$/.test(f))) {
      const code = readFileSync(join(installed, file), "utf8");
      // Static imports/re-exports as tsc and esbuild print them (`} from "x";` ends a multi-line
      // one), side-effect imports and dynamic import() of a literal.
      const statements = /^(?:import|export|\}).*?\bfrom "([^"]+)";$|^import "([^"]+)";$|\bimport\("([^"]+)"\)/gm;
      for (const m of code.matchAll(statements)) {
        const specifier = (m[1] ?? m[2] ?? m[3]) as string;
        if (specifier.startsWith(".")) continue;
        if (specifier.startsWith("node:")) continue;
        const parts = specifier.split("/");
        imported.add(specifier.startsWith("@") ? `${parts[0]}/${parts[1]}` : (parts[0] as string));
      }
    }
    imported.delete("memorabilia"); // a self-reference resolves through the package's own exports
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => !(name in manifest.dependencies)).sort()).toEqual([]);
  });

  it(
    "plain Node ESM: the embedded store, startServer, and the client against the installed server bin",
    async () => {
      writeFileSync(
        join(project, "esm.mjs"),
        `import { bytesToUtf8, createStore } from "memorabilia";
import { createMemorabiliaClient, text, utf8 } from "memorabilia/client";
import { defaultConfig, startServer } from "memorabilia/server";

const store = createStore();
await store.exec(["SET", "k", "embedded"]);
const embedded = bytesToUtf8(await store.exec(["GET", "k"]));

const own = await startServer(defaultConfig({ port: 0, host: "127.0.0.1", logLevel: "silent" }));
const ownClient = createMemorabiliaClient({ baseUrl: own.url });
await ownClient.strings.set({ key: "k", value: utf8("in-process") });
const inProcess = text((await ownClient.strings.get({ key: "k" })).value);
ownClient.close();
await own.close();

const client = createMemorabiliaClient({ baseUrl: process.env.URL });
await client.strings.set({ key: "esm", value: utf8("over gRPC") });
const remote = text((await client.strings.get({ key: "esm" })).value);
client.close();
console.log(JSON.stringify({ embedded, inProcess, remote }));
`,
      );
      const out = await inProject(process.execPath, ["esm.mjs"], { URL: server?.url });
      expect(JSON.parse(out.trim().split("\n").at(-1) as string)).toEqual({
        embedded: "embedded",
        inProcess: "in-process",
        remote: "over gRPC",
      });
    },
    SLOW,
  );

  it(
    "plain Node CommonJS: require() of every entry, and the .proto files by package path",
    async () => {
      writeFileSync(
        join(project, "cjs.cjs"),
        `const { createStore } = require("memorabilia");
const { createMemorabiliaClient, text, utf8 } = require("memorabilia/client");
const { startServer } = require("memorabilia/server");
const { createEdgeApp } = require("memorabilia/edge");
(async () => {
  const client = createMemorabiliaClient({ baseUrl: process.env.URL });
  await client.strings.set({ key: "cjs", value: utf8("required") });
  const value = text((await client.strings.get({ key: "cjs" })).value);
  client.close();
  const proto = require("node:fs").existsSync(require.resolve("memorabilia/proto/memorabilia/v1/strings_service.proto"));
  console.log(JSON.stringify({ store: typeof createStore(), startServer: typeof startServer, edge: typeof createEdgeApp, value, proto }));
})();
`,
      );
      const out = await inProject(process.execPath, ["cjs.cjs"], { URL: server?.url });
      expect(JSON.parse(out.trim().split("\n").at(-1) as string)).toEqual({
        store: "object",
        startServer: "function",
        edge: "function",
        value: "required",
        proto: true,
      });
    },
    SLOW,
  );

  it(
    "the installed server bin serves the console shipped in the package",
    async () => {
      const page = await fetch(`${server?.url}/`);
      expect(page.status).toBe(200);
      const html = await page.text();
      const shipped = readFileSync(join(installed, "dist/web/index.html"), "utf8");
      expect(html).toBe(shipped);
    },
    SLOW,
  );

  it(
    "the memo bin: --help, set and get against the installed server (bundled, no tsx)",
    async () => {
      const memo = join(project, "node_modules", ".bin", "memo");
      expect(await inProject(memo, ["--help"])).toContain("Usage: memo");
      const started = performance.now();
      expect((await inProject(memo, ["--url", server?.url ?? "", "set", "cli", "hello"])).trim()).toBe("OK");
      const setMs = performance.now() - started;
      expect((await inProject(memo, ["--url", server?.url ?? "", "get", "cli"])).trim()).toBe('"hello"');
      const npxStarted = performance.now();
      expect((await inProject("npx", ["--no-install", "memo", "--url", server?.url ?? "", "get", "cli"])).trim()).toBe(
        '"hello"',
      );
      const npxMs = performance.now() - npxStarted;
      // Reported, not asserted: wall time on a shared machine says little.
      console.log(`memo set: ${setMs.toFixed(0)} ms; npx memo get: ${npxMs.toFixed(0)} ms (wall, loaded machine)`);
    },
    SLOW,
  );

  it(
    "the .d.ts: a TypeScript consumer type-checks (NodeNext) and a wrong call fails",
    async () => {
      writeFileSync(
        join(project, "typed.ts"),
        `import { createStore } from "memorabilia";
import { createMemorabiliaClient, utf8 } from "memorabilia/client";
import { defaultConfig, startServer } from "memorabilia/server";
import { createEdgeApp } from "memorabilia/edge";
const store = createStore();
const client = createMemorabiliaClient({ baseUrl: "http://127.0.0.1:1" });
void client.strings.set({ key: "a", value: utf8("1") });
const port: number = defaultConfig({ port: 0 }).port;
void [startServer, createEdgeApp, store, port];
// @ts-expect-error: the typed client rejects an unknown field (fails if the types were \`any\`)
void client.strings.set({ key: "a", nope: 1 });
`,
      );
      const args = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"];
      await inProject(join(BIN, "tsc"), [...args, "--target", "es2022", "--skipLibCheck", "typed.ts"]);
    },
    SLOW,
  );

  it(
    "a Vite app bundles the browser client (no Node modules) and talks gRPC-Web to the server in Chromium",
    async () => {
      const app = join(project, "web");
      mkdirSync(app, { recursive: true });
      writeFileSync(
        join(app, "index.html"),
        '<!doctype html><title>loading</title><script type="module" src="./main.js"></script>\n',
      );
      writeFileSync(
        join(app, "main.js"),
        `import { createStore } from "memorabilia";
import { createMemorabiliaClient, text, utf8 } from "memorabilia/client";
const client = createMemorabiliaClient({ baseUrl: location.origin, protocol: "grpc-web" });
try {
  await client.strings.set({ key: "browser", value: utf8("from vite") });
  const { value } = await client.strings.get({ key: "browser" });
  const store = createStore();
  await store.exec(["SET", "k", "embedded"]);
  document.title = \`ok \${text(value)} \${await store.exec(["GET", "k"])}\`;
} catch (error) {
  document.title = \`error \${error}\`;
}
`,
      );
      const out = join(project, "web-dist");
      const vite = join(ROOT, "node_modules", "vite", "bin", "vite.js");
      await inProject(process.execPath, [vite, "build", "web", "--outDir", out, "--emptyOutDir", "--logLevel", "warn"]);
      const assets = walk(out).filter((f) => f.endsWith(".js"));
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) expect(readFileSync(join(out, asset), "utf8")).not.toMatch(/node:http2|node:fs/);
      // The installed server serves the app (same origin: no CORS needed) and the API.
      const host = await startServerProcess(
        ["--console-dir", out],
        {},
        join(project, "node_modules", ".bin", "memorabilia-server"),
        project,
      );
      const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
      try {
        const page = await browser.newPage();
        await page.goto(host.url);
        await page.waitForFunction(() => document.title !== "loading", undefined, { timeout: 60_000 });
        expect(await page.title()).toBe("ok from vite embedded");
      } finally {
        await browser.close();
        await host.stop();
      }
    },
    SLOW,
  );

  it.each([
    ["Deno", [join(BIN, "deno"), "run", "--allow-read", "--allow-env"]],
    ["Bun", [join(BIN, "bun")]],
  ] as const)(
    "%s imports the edge entries and serves a call from the installed package",
    async (_name, [exe, ...args]) => {
      writeFileSync(
        join(project, "edge.mjs"),
        `import { createEdgeApp } from "memorabilia/edge";
import { createStore } from "memorabilia";
import "memorabilia/edge/deno";
import "memorabilia/edge/bun";
const app = createEdgeApp();
const set = await app.fetch(new Request("http://edge/memorabilia.v1.StringsService/Set", {
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify({ key: "k", value: btoa("v") }),
}));
console.log(JSON.stringify({ store: typeof createStore(), status: set.status, body: await set.json() }));
`,
      );
      const out = await inProject(exe, [...args, "edge.mjs"]);
      expect(JSON.parse(out.trim().split("\n").at(-1) as string)).toEqual({
        store: "object",
        status: 200,
        body: { applied: true },
      });
    },
    SLOW,
  );
});
