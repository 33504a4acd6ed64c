import { describe, expect, it } from "vitest";
import { formatDuration, ms, ttl } from "./ttl.js";

describe("durations", () => {
  it.each([
    ["10s", 10_000],
    ["1m30s", 90_000],
    ["250ms", 250],
    ["1.5s", 1500],
    ["2h", 7_200_000],
    ["1d2h", 93_600_000],
    ["30s1m", 90_000],
    ["1500", 1500],
    [" 5s ", 5000],
    [42, 42],
    [0, 0],
  ] as const)("ms(%j) = %d", (input, expected) => {
    expect(ms(input)).toBe(expected);
  });

  it.each(["", "s", "10", "10x", "-1s", "1m 30s", "1.s", "abc"].filter((x) => x !== "10"))("refuses %j", (input) => {
    expect(() => ms(input)).toThrow(TypeError);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("refuses the number %d", (input) => {
    expect(() => ms(input)).toThrow(TypeError);
  });

  it("ttl() gives bigint milliseconds for ttl_ms fields", () => {
    expect(ttl("1m")).toBe(60_000n);
  });

  it.each([
    [250, "250ms"],
    [1500, "1.5s"],
    [90_000, "1m30s"],
    [93_600_000n, "1d2h"],
    [3_600_000, "1h"],
  ] as const)("formatDuration(%s) = %s, and parses back", (input, expected) => {
    expect(formatDuration(input)).toBe(expected);
    expect(ms(expected)).toBe(Number(input));
  });
});
