import { describe, expect, it } from "vitest";
import { parseInt64 } from "./parse.js";

/** The regex parser parseInt64 had before its digit loop (Redis's string2ll rules): the reference. */
function reference(arg: string): number | bigint | "error" {
  if (arg.length === 0 || arg.length > 20 || !/^(0|-?[1-9][0-9]*)$/.test(arg)) return "error";
  if (arg.length < 16) return Number(arg);
  const big = BigInt(arg);
  if (big < -(2n ** 63n) || big > 2n ** 63n - 1n) return "error";
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

function parsed(arg: string): number | bigint | "error" {
  try {
    return parseInt64(arg);
  } catch (error) {
    expect((error as Error).message).toBe("ERR value is not an integer or out of range");
    return "error";
  }
}

describe("parseInt64", () => {
  it("agrees with the regex parser on every string of up to 4 characters over digits, signs and neighbours", () => {
    // '/' and ':' are the code units either side of the digits; space, '+', '.', 'e' and NUL
    // are what a careless client sends.
    const alphabet = ["0", "1", "9", "-", "+", " ", "/", ":", ".", "e", "\u0000"];
    let strings = [""];
    const all = [""];
    for (let len = 1; len <= 4; len++) {
      strings = strings.flatMap((s) => alphabet.map((c) => s + c));
      all.push(...strings);
    }
    for (const s of all) expect(parsed(s), JSON.stringify(s)).toEqual(reference(s));
  });

  it.each([
    "123456789012345",
    "-12345678901234",
    "-123456789012345",
    "999999999999999",
    "1000000000000000",
    "9007199254740991",
    "9007199254740992",
    "-9007199254740991",
    "-9007199254740992",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "00000000000001",
    "-0",
    "-",
    "+5",
    " 5",
    "5 ",
    "\u0661",
    "\uff11",
    "1\u0000",
    "12345678901234a",
  ])("parses %j as Redis does", (s) => {
    expect(parsed(s)).toEqual(reference(s));
  });

  it("returns plain numbers, never -0", () => {
    expect(Object.is(parseInt64("0"), 0)).toBe(true);
    expect(parseInt64("-7")).toBe(-7);
    expect(parseInt64("42")).toBe(42);
  });
});
