import { describe, expect, it } from "vitest";
import { StoreError } from "./errors.js";
import { parseLexRange, parseScore, parseScoreRange } from "./zset-parse.js";
import { LEX_MAX, LEX_MIN } from "./zset-value.js";

const Inf = Number.POSITIVE_INFINITY;

/** The message of what `fn` throws, or its value. */
function attempt<T>(fn: () => T): T | string {
  try {
    return fn();
  } catch (error) {
    if (error instanceof StoreError) return error.message;
    throw error;
  }
}

describe("parseScore (getDoubleFromObject)", () => {
  it.each<[string, number | string]>([
    ["1", 1],
    ["-2.5", -2.5],
    ["+3", 3],
    [".5", 0.5],
    ["5.", 5],
    ["1e3", 1000],
    ["1E-2", 0.01],
    ["0x10", 16],
    ["0x1.8p1", 3],
    ["-0x.8", -0.5],
    ["inf", Inf],
    ["-Infinity", -Inf],
    ["+INF", Inf],
    ["0", 0],
    ["0e500", 0],
    ["1e-310", 1e-310],
    ["", "ERR value is not a valid float"],
    [" 1", "ERR value is not a valid float"],
    ["1 ", "ERR value is not a valid float"],
    ["1e", "ERR value is not a valid float"],
    ["0x", "ERR value is not a valid float"],
    ["nan", "ERR value is not a valid float"],
    ["-nan", "ERR value is not a valid float"],
    ["1e400", "ERR value is not a valid float"],
    ["-1e400", "ERR value is not a valid float"],
    ["1e-400", "ERR value is not a valid float"],
    ["abc", "ERR value is not a valid float"],
    ["1.2.3", "ERR value is not a valid float"],
  ])("%j -> %s", (arg, expected) => {
    expect(attempt(() => parseScore(arg))).toBe(expected);
  });

  it("uses a custom message", () => {
    expect(attempt(() => parseScore("x", "weight value is not a float"))).toBe("ERR weight value is not a float");
  });
});

describe("parseScoreRange (strtod)", () => {
  it.each<[string, string, unknown]>([
    ["1", "2", { min: 1, max: 2, minex: false, maxex: false }],
    ["(1", "(2", { min: 1, max: 2, minex: true, maxex: true }],
    ["-inf", "+inf", { min: -Inf, max: Inf, minex: false, maxex: false }],
    ["", "(", { min: 0, max: 0, minex: false, maxex: true }],
    [" \t1", "1e400", { min: 1, max: Inf, minex: false, maxex: false }],
    ["0x1p-1", "infinity", { min: 0.5, max: Inf, minex: false, maxex: false }],
    ["1 ", "2", "ERR min or max is not a float"],
    ["nan", "2", "ERR min or max is not a float"],
    ["1", "((2", "ERR min or max is not a float"],
    ["[1", "2", "ERR min or max is not a float"],
    ["  ", "2", "ERR min or max is not a float"],
  ])("%j %j", (min, max, expected) => {
    expect(attempt(() => parseScoreRange(min, max))).toEqual(expected);
  });
});

describe("parseLexRange", () => {
  it.each<[string, string, unknown]>([
    ["-", "+", { min: LEX_MIN, max: LEX_MAX, minex: true, maxex: true }],
    ["[a", "(b", { min: "a", max: "b", minex: false, maxex: true }],
    ["[", "(", { min: "", max: "", minex: false, maxex: true }],
    ["[-", "[+", { min: "-", max: "+", minex: false, maxex: false }],
    ["a", "+", "ERR min or max not valid string range item"],
    ["-a", "+", "ERR min or max not valid string range item"],
    ["-", "++", "ERR min or max not valid string range item"],
    ["", "+", "ERR min or max not valid string range item"],
  ])("%j %j", (min, max, expected) => {
    expect(attempt(() => parseLexRange(min, max))).toEqual(expected);
  });
});
