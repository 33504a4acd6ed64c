/**
 * Container export keeps every byte: JSON (UTF-8 strings, {"base64"} otherwise, scores exact) and
 * redis-cli text (redis-cli's layout and quoting, nothing cut) both give the original bytes back.
 */
import { describe, expect, it } from "vitest";
import { base64, toCliText, toJson } from "./value-export.js";

const e = (s: string): Uint8Array => new TextEncoder().encode(s);
const b = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

/** Reads redis-cli's quoted string back to bytes (the inverse of its quoting). */
function unquote(q: string): Uint8Array {
  const out: number[] = [];
  const body = q.slice(1, -1);
  const esc: Record<string, number> = { n: 10, r: 13, t: 9, a: 7, b: 8, '"': 34, "\\": 92 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== "\\") {
      out.push(...e(c));
      continue;
    }
    const n = body[++i] as string;
    if (n === "x") {
      out.push(Number.parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(esc[n] as number);
  }
  return Uint8Array.from(out);
}

describe("container export", () => {
  it("JSON keeps every byte: text as strings, other bytes as base64; every score, infinities as strings", () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const json = JSON.parse(
      toJson("k", {
        type: "hash",
        entries: [
          [e("名前"), all],
          [b(0xff), e("")],
        ],
      }),
    ) as { entries: unknown[][] };
    expect(json.entries).toEqual([
      ["名前", { base64: base64(all) }],
      [{ base64: "/w==" }, ""],
    ]);
    expect(Buffer.from(base64(all), "base64").equals(Buffer.from(all))).toBe(true);
    const z = JSON.parse(
      toJson("z", {
        type: "zset",
        members: [
          [e("a"), 0.1 + 0.2],
          [e("b"), -Infinity],
          [e("c"), 5e-324],
        ],
      }),
    ) as { members: [string, number | string][] };
    expect(z.members).toEqual([
      ["a", 0.30000000000000004],
      ["b", "-inf"],
      ["c", 5e-324],
    ]);
  });

  it("redis-cli text: its layout (indexes right-aligned, nested stream entries) and quoting, reversible", () => {
    const elements = Array.from({ length: 10 }, (_, i) => b(i * 25, 0x22, 0x5c, 0xc3, 0xa9, 0xe9));
    const text = toCliText({ type: "list", elements });
    const lines = text.trimEnd().split("\n");
    expect(lines[0]).toBe(' 1) "\\x00\\"\\\\é\\xe9"');
    expect(lines[9]?.startsWith("10) ")).toBe(true);
    for (const [i, line] of lines.entries())
      expect([...unquote(line.slice(4))]).toEqual([...(elements[i] as Uint8Array)]);
    expect(toCliText({ type: "set", members: [] })).toBe("(empty array)\n");
    expect(
      toCliText({
        type: "stream",
        entries: [{ id: "1-1", fields: [[e("f"), e("a\nb")]] }],
      }),
    ).toBe('1) 1) "1-1"\n   2) 1) "f"\n      2) "a\\nb"\n');
  });
});
