/**
 * Guards the one module that loads fengari (lua.ts): the exact version it was written against,
 * and the two behaviours it relies on — `FENGARICONF` read at first load (integral floats print
 * as integers, as Redis's Lua 5.1 prints numbers), and byte strings passing through unchanged.
 * An upgrade of fengari fails here first, loudly.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { FENGARI_VERSION, fengari } from "./lua.js";
import { formatLuaNumber } from "./lua-values.js";
import { ScriptRuntime } from "./script-runtime.js";

describe("fengari, the pinned Lua VM", () => {
  it("is the exact version lua.ts was written against (package.json pins it)", () => {
    const pkg = JSON.parse(readFileSync("package.json", "utf8")) as { dependencies: Record<string, string> };
    expect(pkg.dependencies.fengari).toBe(FENGARI_VERSION);
    const installed = createRequire(import.meta.url)("fengari/package.json") as { version: string };
    expect(installed.version).toBe(FENGARI_VERSION);
    expect(fengari().FENGARI_RELEASE).toBe(`Fengari ${FENGARI_VERSION}`);
  });

  it("prints integral floats as integers and keeps bytes as they are", () => {
    const runtime = new ScriptRuntime({ timeLimitMs: 5000, maxStringBytes: 1 << 20 });
    const run = (body: string, args: string[] = []) => runtime.run(runtime.load(body), [], args, () => null);
    expect(run("return tostring(3.0) .. ' ' .. tostring(2.5)")).toBe("3 2.5");
    const bytes = String.fromCharCode(0, 0x80, 0xff, 0xe9);
    expect(run("return ARGV[1] .. string.char(200)", [bytes])).toBe(`${bytes}\u00c8`);
  });
});

describe("numbers as command arguments", () => {
  it.each([
    [1.5, "1.5"],
    [3, "3"],
    [1e20, "1e+20"],
    [0.1 + 0.2, "0.30000000000000004"],
    [1 / 3, "0.33333333333333331"],
    [2 ** 53 + 1, "9007199254740992"],
    [0.00001, "1.0000000000000001e-05"],
    [-2.5e-7, "-2.4999999999999999e-07"],
    [123456789012345680000, "1.2345678901234568e+20"],
  ])("%s is sent as %s (C's %%.17g, as Redis)", (n, text) => {
    expect(formatLuaNumber(n)).toBe(text);
  });
});
