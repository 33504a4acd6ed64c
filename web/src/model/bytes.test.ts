import { describe, expect, it } from "vitest";
import { fromHex, isText, prettyJson, preview, text, toHex, utf8 } from "./bytes.js";

const b = (...xs: number[]) => Uint8Array.from(xs);

describe("utf8 and text", () => {
  it.each(["", "hello", "héllo", "😀", "a\u0000b"])("%j round-trips", (s) => {
    expect(text(utf8(s))).toBe(s);
  });

  it("invalid UTF-8 reads as U+FFFD", () => {
    expect(text(b(0x61, 0xff, 0x62))).toBe("a\ufffdb");
  });
});

describe("isText", () => {
  it.each<[string, Uint8Array, boolean]>([
    ["ASCII", utf8("hello"), true],
    ["UTF-8", utf8("héllo 😀"), true],
    ["tab, CR, LF", utf8("a\tb\r\nc"), true],
    ["empty", b(), true],
    ["NUL", b(0x61, 0x00), false],
    ["ESC", b(0x1b), false],
    ["DEL", b(0x7f), false],
    ["vertical tab", b(0x0b), false],
    ["invalid UTF-8", b(0xc3, 0x28), false],
    ["a lone continuation byte", b(0x80), false],
  ])("%s: %s", (_, bytes, expected) => {
    expect(isText(bytes)).toBe(expected);
  });
});

describe("hex", () => {
  it.each<[Uint8Array, string]>([
    [b(), ""],
    [utf8("hello"), "68 65 6c 6c 6f"],
    [b(0, 15, 16, 255), "00 0f 10 ff"],
  ])("%o is %j", (bytes, hex) => {
    expect(toHex(bytes)).toBe(hex);
    expect(fromHex(hex)).toEqual(bytes);
  });

  it.each<[string, string]>([
    ["00FF", "00 ff"],
    ["  0a\n0B\t", "0a 0b"],
  ])("parses %j (case and whitespace ignored)", (hex, expected) => {
    expect(toHex(fromHex(hex))).toBe(expected);
  });

  it.each(["0", "abc", "0g", "0x00", "zz"])("refuses %j", (hex) => {
    expect(() => fromHex(hex)).toThrow("hex needs pairs of digits");
  });
});

describe("prettyJson", () => {
  it.each<[string, string | null]>([
    ['{"a":1}', '{\n  "a": 1\n}'],
    [" [1, 2] ", "[\n  1,\n  2\n]"],
    ["{}", "{}"],
    ["42", null], // only objects and arrays count as JSON documents here
    ['"s"', null],
    ["{oops}", null],
    ["", null],
  ])("%j -> %j", (input, expected) => {
    expect(prettyJson(input)).toBe(expected);
  });
});

describe("preview", () => {
  it.each<[Uint8Array, number | undefined, string]>([
    [utf8("hello"), undefined, "hello"],
    [b(0x00, 0xff), undefined, "0x 00 ff"],
    [utf8("abcdef"), 3, "abc…"],
    [b(1, 2, 3, 4), 2, "0x 01 02…"],
    [utf8("abc"), 3, "abc"],
  ])("%o (max %s) shows %j", (bytes, max, expected) => {
    expect(preview(bytes, max)).toBe(expected);
  });
});
