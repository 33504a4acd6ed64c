import { describe, expect, it } from "vitest";
import { toHex } from "./bytes.js";
import {
  ALL_VIEWS,
  bytesOf,
  draftOf,
  ELEMENT_VIEWS,
  type FieldKind,
  lossOf,
  savedBytes,
  switchView,
  type ViewMode,
  viewFor,
  viewLabel,
} from "./bytes-draft.js";

const b = (...xs: number[]) => Uint8Array.from(xs);
const u = (s: string) => new TextEncoder().encode(s);

describe("viewFor", () => {
  it.each<[string, Uint8Array, readonly ViewMode[], ViewMode]>([
    ["text", u("hello"), ALL_VIEWS, "text"],
    ["a JSON object", u('{"a":1}'), ALL_VIEWS, "json"],
    ["a JSON array", u("[1,2]"), ALL_VIEWS, "json"],
    ["JSON without a JSON view", u('{"a":1}'), ELEMENT_VIEWS, "text"],
    ["a NUL byte", b(0x61, 0x00), ALL_VIEWS, "hex"],
    ["invalid UTF-8", b(0xff, 0xfe), ELEMENT_VIEWS, "hex"],
    ["a control character", b(0x1b, 0x5b), ELEMENT_VIEWS, "hex"],
    ["binary without a hex view", b(0xff), ["text"], "text"],
    ["nothing", b(), ALL_VIEWS, "text"],
  ])("%s opens as %s", (_, bytes, views, mode) => {
    expect(viewFor(bytes, views)).toBe(mode);
  });
});

describe("draftOf and bytesOf round-trip", () => {
  it.each<[string, Uint8Array]>([
    ["text", u("hello world")],
    ["UTF-8", u("héllo 😀")],
    ["every byte value", Uint8Array.from({ length: 256 }, (_, i) => i)],
    ["NUL bytes", b(0, 0, 0)],
    ["invalid UTF-8", b(0xc3, 0x28, 0xff)],
    ["empty", b()],
    ["tabs and newlines", u("a\tb\r\nc")],
  ])("%s in element views", (_, bytes) => {
    const draft = draftOf(bytes, ELEMENT_VIEWS);
    expect(toHex(bytesOf(draft))).toBe(toHex(bytes));
  });

  it("JSON is shown pretty and saved compact", () => {
    const draft = draftOf(u('{"a":1,"b":[true,null]}'));
    expect(draft).toEqual({ mode: "json", text: '{\n  "a": 1,\n  "b": [\n    true,\n    null\n  ]\n}' });
    expect(new TextDecoder().decode(bytesOf(draft))).toBe('{"a":1,"b":[true,null]}');
  });

  it("a mode can be forced", () => {
    expect(draftOf(u("hi"), ALL_VIEWS, "hex")).toEqual({ mode: "hex", text: "68 69" });
  });
});

describe("bytesOf", () => {
  it.each<[string, string, string]>([
    ["hex", "00 ff 10", "00 ff 10"],
    ["hex", "00ff\n10", "00 ff 10"],
    ["hex", "", ""],
    ["text", "é", "c3 a9"],
    ["text", "\\x00", "5c 78 30 30"], // text is literal: escapes belong to the command bar
  ])("%s %j is %s", (mode, text, hex) => {
    expect(toHex(bytesOf({ mode: mode as ViewMode, text }))).toBe(hex);
  });

  it.each<[ViewMode, string, string]>([
    ["hex", "0", "hex needs pairs"],
    ["hex", "zz", "hex needs pairs"],
    ["json", "{oops", "not valid JSON"],
    ["json", "42", "not valid JSON"],
  ])("%s %j is refused", (mode, text, message) => {
    expect(() => bytesOf({ mode, text })).toThrow(message);
  });
});

describe("switchView", () => {
  it.each<[ViewMode, string, ViewMode, string]>([
    ["text", "hi", "hex", "68 69"],
    ["hex", "68 69", "text", "hi"],
    ["hex", "00 ff", "hex", "00 ff"],
    ["text", '{"a":1}', "json", '{\n  "a": 1\n}'],
    ["json", '{\n  "a": 1\n}', "text", '{\n  "a": 1\n}'],
    ["json", "{broken", "hex", "7b 62 72 6f 6b 65 6e"],
    ["text", "{broken", "json", "{broken"],
  ])("%s %j -> %s %j", (from, text, to, expected) => {
    expect(switchView({ mode: from, text }, to)).toEqual({ mode: to, text: expected });
  });

  it("refuses to leave hex that does not parse", () => {
    expect(() => switchView({ mode: "hex", text: "abc" }, "text")).toThrow("hex needs pairs");
  });
});

it.each<[ViewMode, string]>([
  ["text", "Text"],
  ["json", "JSON"],
  ["hex", "Hex"],
])("the %s tab is labelled %s", (mode, label) => {
  expect(viewLabel(mode)).toBe(label);
});

describe("savedBytes: a save is the exact change or nothing", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  it("returns the original itself when the draft is unchanged, in every view", () => {
    const original = enc('{"b":1,"a":[1,2]}');
    for (const mode of ["text", "json", "hex"] as const) {
      expect(savedBytes(draftOf(original, ALL_VIEWS, mode), original)).toBe(original);
    }
  });
  it("never reformats JSON opened and saved in the JSON view, compact or pretty", () => {
    const pretty = enc('{\n    "a": 1\n}');
    expect(savedBytes({ mode: "json", text: '{"a": 1}' }, pretty)).toBe(pretty);
  });
  it("keeps a compact original compact, and a formatted original as typed", () => {
    expect(new TextDecoder().decode(savedBytes({ mode: "json", text: '{\n  "a": 2\n}' }, enc('{"a":1}')))).toBe(
      '{"a":2}',
    );
    expect(new TextDecoder().decode(savedBytes({ mode: "json", text: '{\n  "a": 2\n}' }, enc('{ "a": 1 }')))).toBe(
      '{\n  "a": 2\n}',
    );
  });
  it("refuses JSON that does not parse", () => {
    expect(() => savedBytes({ mode: "json", text: "{" }, enc("{}"))).toThrow(/JSON/);
  });
});

describe("a view that cannot show the bytes exactly is lossy, and never saves the lossy text", () => {
  it.each<[string, Uint8Array, ViewMode, FieldKind, string | null]>([
    ["invalid UTF-8 as text", b(0x61, 0xff), "text", "area", "not valid UTF-8"],
    ["invalid UTF-8 as JSON", b(0x5b, 0xff, 0x5d), "json", "area", "not valid UTF-8"],
    ["invalid UTF-8 as hex", b(0xff), "hex", "line", null],
    ["LF in a one-line field", u("a\nb"), "text", "line", "line breaks"],
    ["LF in a text area", u("a\nb"), "text", "area", null],
    ["CR in a text area", u("a\r\nb"), "text", "area", "carriage returns"],
    ["CR in JSON (reformatted by design)", u('{\r\n"a":1}'), "json", "area", null],
    ["UTF-8 text", u("héllo"), "text", "line", null],
  ])("%s", (_, bytes, mode, field, why) => {
    const loss = lossOf(bytes, mode, field);
    if (why === null) expect(loss).toBeNull();
    else expect(loss).toContain(why);
  });

  it("keeps the exact bytes through Text and back, and saves them (not U+FFFD)", () => {
    const bytes = b(0x61, 0xff, 0x62);
    const asText = switchView(draftOf(bytes, ALL_VIEWS), "text");
    expect(asText.lossy?.bytes).toEqual(bytes);
    expect(toHex(bytesOf(asText))).toBe("61 ff 62");
    expect(savedBytes(asText, bytes)).toBe(bytes);
    expect(switchView(asText, "hex")).toEqual({ mode: "hex", text: "61 ff 62" });
  });

  it("opens bytes a field would change in hex", () => {
    expect(viewFor(u("a\r\nb"), ALL_VIEWS, "area")).toBe("hex");
    expect(viewFor(u("a\nb"), ELEMENT_VIEWS, "line")).toBe("hex");
    expect(viewFor(u("a\nb"), ELEMENT_VIEWS, "area")).toBe("text");
  });
});
