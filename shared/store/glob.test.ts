import { describe, expect, it } from "vitest";
import { globMatch, globPrefix } from "./glob.js";

describe("globMatch (Redis stringmatchlen semantics)", () => {
  const cases: [pattern: string, subject: string, match: boolean][] = [
    ["*", "", true],
    ["*", "anything", true],
    ["h?llo", "hello", true],
    ["h?llo", "hllo", false],
    ["h*llo", "heeeello", true],
    ["h*llo", "hllo", true],
    ["h[ae]llo", "hallo", true],
    ["h[ae]llo", "hillo", false],
    ["h[^e]llo", "hallo", true],
    ["h[^e]llo", "hello", false],
    ["h[!e]llo", "hello", false],
    ["h[a-b]llo", "hbllo", true],
    ["h[b-a]llo", "hallo", true],
    ["h[a-b]llo", "hcllo", false],
    ["h\\*llo", "h*llo", true],
    ["h\\*llo", "hello", false],
    ["user:*", "user:1", true],
    ["user:*", "usr:1", false],
    ["a.b", "a.b", true],
    ["a.b", "axb", false],
    ["(x)+", "(x)+", true],
    ["*\n*", "a\nb", true],
    ["\u00ff*", "\u00ffz", true],
    ["exact", "exact", true],
    ["exact", "exactly", false],
  ];
  it.each(cases)("%j vs %j -> %s", (pattern, subject, match) => {
    expect(globMatch(pattern, subject)).toBe(match);
  });

  it("extracts literal prefixes", () => {
    expect(globPrefix("user:*")).toBe("user:");
    expect(globPrefix("a\\*b*")).toBe("a*b");
    expect(globPrefix("*")).toBe("");
    expect(globPrefix("plain")).toBe("plain");
  });
});
