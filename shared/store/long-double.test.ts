import { describe, expect, it } from "vitest";
import { addLongDouble, formatLongDouble, type LongDouble, parseLongDouble } from "./long-double.js";

/*
 * Expected results are Redis 7.0's INCRBYFLOAT replies on x86-64 (SET k <a>; INCRBYFLOAT k <b>),
 * "invalid" for `ERR value is not a valid float`, "naninf" for `ERR increment would produce NaN
 * or Infinity`.
 */

function incrByFloat(a: string, b: string): string {
  const x = parseLongDouble(a);
  const y = parseLongDouble(b);
  if (x === undefined || y === undefined) return "invalid";
  const sum = addLongDouble(x, y);
  return sum === undefined || sum.inf ? "naninf" : formatLongDouble(sum);
}

const MAX = "1189731495357231765021263853030970205169063322294624200440323733891737";

describe("INCRBYFLOAT arithmetic (x87 long double)", () => {
  it.each([
    ["0", "1e-4950", "0"],
    ["0", "3.6e-4951", "0"],
    ["0", "0x1p-16445", "0"],
    ["0", "0X1P+3", "8"],
    ["0", ".5e1", "5"],
    ["0", "-.5E-1", "-0.05"],
    ["0", "1e0000000000000000000000001", "10"],
    ["0", "0e99999999999", "0"],
    ["0", "1e-99999999999", "invalid"],
    ["0", "INFINITY", "naninf"],
    ["0", "+inf", "naninf"],
    ["inf", "-inf", "naninf"],
    ["0", "infinit", "invalid"],
    ["0", "0.5000000000000000000000000000001", "0.5"],
    ["0", "2.5e-17", "0.00000000000000002"],
    ["0", "1.5e-17", "0.00000000000000002"],
    ["0", "-0", "0"],
    ["-0", "-0", "0"],
    ["0", "0x", "invalid"],
    ["0", "0x1p", "invalid"],
    ["0", "1.2.3", "invalid"],
    ["0", ".", "invalid"],
    ["0", "-", "invalid"],
    ["0", "e5", "invalid"],
    ["0", "nan", "invalid"],
    ["0", "1e4933", "invalid"],
    ["1\0junk", "1", "invalid"],
    ["0.1", "0.2", "0.3"],
    ["-5", "0.00000000000000001", "-4.99999999999999999"],
    ["1e30", "1", "1000000000000000000024696061952"],
  ])("%j + %j -> %j", (a, b, expected) => {
    expect(incrByFloat(a, b)).toBe(expected);
  });

  it.each(["1.18973149535723176502e+4932", "1.18973149535723176503e+4932", "0x1.fffffffffffffffep16383"])(
    "%s rounds to the largest finite value",
    (input) => {
      const out = incrByFloat("0", input);
      expect(out.startsWith(MAX)).toBe(true);
      expect(out.length).toBe(4933);
    },
  );

  it("doubling the largest value overflows to infinity", () => {
    const max = parseLongDouble("0x1.fffffffffffffffep16383") as LongDouble;
    expect(addLongDouble(max, max)?.inf).toBe(true);
  });

  it("refuses input of 5 KiB or more, as strtold's buffer does", () => {
    expect(parseLongDouble(`${"0".repeat(5118)}1`)).toBeDefined();
    expect(parseLongDouble(`${"0".repeat(5119)}1`)).toBeUndefined();
    // 10^5118 itself is beyond the largest long double (about 1.19e4932)
    expect(parseLongDouble(`1${"0".repeat(5118)}`)).toBeUndefined();
  });

  it("keeps 64 significant bits: 2^64 + 1 is not representable, 2^63 + 1 is", () => {
    expect(incrByFloat("18446744073709551616", "1")).toBe("18446744073709551616");
    expect(incrByFloat("9223372036854775808", "1")).toBe("9223372036854775809");
  });

  it("formats infinities", () => {
    expect(formatLongDouble(parseLongDouble("inf") as LongDouble)).toBe("inf");
    expect(formatLongDouble(parseLongDouble("-Infinity") as LongDouble)).toBe("-inf");
  });
});
