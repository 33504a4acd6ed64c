import { describe, expect, it } from "vitest";
import { floatNumerals } from "./lua-numerals.js";

const rewrite = (s: string) => new TextDecoder().decode(floatNumerals(new TextEncoder().encode(s)));

describe("floatNumerals: every numeral a double, as in Redis's Lua 5.1", () => {
  it.each([
    ["return 5", "return 5.0"],
    ["return 0x100000000 + 0XfF", "return 0x100000000p0 + 0XfFp0"],
    ["return 2147483647 + 1", "return 2147483647.0 + 1.0"],
    ["return 1.5, .5, 1e3, 2E-2, 0x1p4, 0x.8", "return 1.5, .5, 1e3, 2E-2, 0x1p4, 0x.8"],
    ["local a1 = t[10] .. x2", "local a1 = t[10.0] .. x2"],
    ['return \'5\' .. "6\\"7" .. [[8]] .. [==[9]]==]', 'return \'5\' .. "6\\"7" .. [[8]] .. [==[9]]==]'],
    ["-- 5\nreturn 6 --[[ 7\n8 ]] + 9", "-- 5\nreturn 6.0 --[[ 7\n8 ]] + 9.0"],
    ["return 1..2", "return 1..2"],
    ["return 3x", "return 3x"],
    ["for i = 1, 10 do end", "for i = 1.0, 10.0 do end"],
  ])("%s", (source, expected) => {
    expect(rewrite(source)).toBe(expected);
  });

  it("keeps line breaks (error line numbers stay the script's)", () => {
    const source = "local a = 1\n\n\nreturn 'x\\\n2' .. 3";
    expect(rewrite(source).split("\n").length).toBe(source.split("\n").length);
  });

  it("returns the same bytes when nothing changes", () => {
    const bytes = new TextEncoder().encode("return KEYS[a]");
    expect(floatNumerals(bytes)).toBe(bytes);
  });
});
