/**
 * The envelope's string fast paths (written and read without the codec's writer and reader) give
 * exactly the codec's bytes and values; revisions print as etcd's decimal digits.
 */
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { ListValue } from "../../../shared/store/list-deque.js";
import { encodeValue } from "../../../shared/store/value-codec.js";
import { decodeEnvelope, encodeEnvelope, envelopeDeadline } from "./envelope.js";
import { int64String } from "./kv-client.js";

/** The envelope as the generic path builds it: header, then the codec's body. */
function generic(value: Parameters<typeof encodeValue>[0], atMs: number | undefined): Buffer {
  const { type, body } = encodeValue(value);
  const out = Buffer.alloc(10 + body.length);
  out[0] = 1;
  out[1] = type;
  out.writeDoubleBE(atMs ?? Number.NaN, 2);
  out.set(body, 10);
  return out;
}

/** protobufjs' Long (what decoded revisions are). */
const Long = protobuf.util.Long as unknown as {
  fromNumber(n: number): { low: number; high: number; toString(): string };
  fromString(s: string): { low: number; high: number; toString(): string };
};

describe("etcd envelope", () => {
  it("strings of every byte value and many lengths: the codec's bytes, decoded back", () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    const strings = ["", "a", all, all.repeat(300)];
    for (let n = 0; n < 40; n++) strings.push(all.slice(n, n + n));
    for (const s of strings)
      for (const at of [undefined, 0, 1_700_000_000_123.5]) {
        const e = encodeEnvelope(s, at);
        expect(e.equals(generic(s, at))).toBe(true);
        expect(decodeEnvelope(e)).toEqual({ value: s, atMs: at });
        expect(envelopeDeadline(new Uint8Array(e))).toBe(at);
      }
  });

  it("other types still go through the codec; a string with a wrong length is refused", () => {
    const list = new ListValue(["x", "yz"]);
    const e = encodeEnvelope(list, 5);
    expect(e.equals(generic(list, 5))).toBe(true);
    expect((decodeEnvelope(e).value as ListValue).values()).toBeDefined();
    const bad = Buffer.concat([encodeEnvelope("abc", undefined), Buffer.from("!")]);
    expect(() => decodeEnvelope(bad)).toThrow();
  });

  it("revisions (Longs) print as decimal", () => {
    for (const n of [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1])
      expect(int64String(Long.fromNumber(n))).toBe(String(n));
    expect(int64String(Long.fromString("9223372036854775807"))).toBe("9223372036854775807");
    expect(int64String(Long.fromString("-5"))).toBe("-5");
    expect(int64String("42")).toBe("42");
    expect(int64String(undefined)).toBe("0");
  });
});
