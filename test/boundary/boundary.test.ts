import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without types
import { checkBoundary } from "./boundary.mjs";

const dirs: string[] = [];
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(process.cwd(), "test/boundary/.tmp-"));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return relative(process.cwd(), dir);
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("boundary check", () => {
  it("passes on the real shared/ folder", async () => {
    expect(await checkBoundary("shared", ["shared/index.ts"])).toEqual([]);
  });

  it.each([
    [
      "a node: import",
      'import { readFileSync } from "node:fs";\nexport const x = readFileSync;\n',
      /node: module|bundle/,
    ],
    ["a bare Node builtin", 'import { EventEmitter } from "events";\nexport const x = EventEmitter;\n', /bundle/],
    ["Buffer", "export const x = Buffer.from('a');\n", /global 'Buffer'/],
    ["process", "export const x = process.env.HOME;\n", /global 'process'/],
    ["the DOM", "export const x = document.title;\n", /global 'document'/],
    ["Date.now", "export const x = Date.now();\n", /injected clock/],
    ["fastify", 'import Fastify from "fastify";\nexport const x = Fastify;\n', /package 'fastify'|bundle/],
  ])("fails on %s", async (_name, source, message) => {
    const root = tree({ "index.ts": source });
    const problems: string[] = await checkBoundary(root, [`${root}/index.ts`]);
    expect(problems.join("\n")).toMatch(message);
  });
});
