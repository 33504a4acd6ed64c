import { describe, expect, it } from "vitest";
import { ByteReader, ByteWriter, decodeLatin1, MalformedDataError, SHORT_LATIN1, shortLatin1 } from "./byte-io.js";
import { HashValue } from "./hash-value.js";
import { ListValue } from "./list-deque.js";
import { SetValue } from "./set-value.js";
import type { Value } from "./value.js";
import { decodeValue, encodeValue, readValueBody, ValueType, valueTypeOf, writeValueBody } from "./value-codec.js";
import { ZSetValue } from "./zset-value.js";

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const zset = (): ZSetValue => {
  const z = new ZSetValue();
  z.set("a", 1.5);
  z.set("b", -2);
  z.set("c", Number.POSITIVE_INFINITY);
  return z;
};
const hash = (): HashValue => {
  const h = new HashValue();
  h.set("f1", "v1");
  h.set("f2", "v2");
  return h;
};
const set = (): SetValue => {
  const s = new SetValue();
  for (const m of ["x", "y", "z"]) s.add(m);
  return s;
};

/** A canonical form for comparing decoded values. */
function canon(v: Value): unknown {
  if (typeof v === "string") return v;
  if (v instanceof ListValue) return ["list", [...v.values()]];
  if (v instanceof HashValue) return ["hash", v.flatEntries()];
  if (v instanceof SetValue) return ["set", [...v.nameList()].sort()];
  if (v instanceof ZSetValue) return ["zset", [...v.entries()].sort()];
  throw new Error("unknown value");
}

describe("value codec", () => {
  // The bytes are the on-disk format of persistence files and a remote engine's envelope: they
  // must not drift. These are the bytes the format had before the codec moved to shared/.
  it.each([
    ["string", "hello\x00\xff", ValueType.STRING, "0000000768656c6c6f00ff"],
    ["list", new ListValue(["a", "b", "c"]), ValueType.LIST, "00000003000000016100000001620000000163"],
    ["hash", hash(), ValueType.HASH, "00000002000000026631000000027631000000026632000000027632"],
    ["set", set(), ValueType.SET, "0000000300000001780000000179000000017a"],
    [
      "zset",
      zset(),
      ValueType.ZSET,
      "0000000300000001613ff80000000000000000000162c00000000000000000000001637ff0000000000000",
    ],
  ] as const)("encodes a %s byte for byte as the persistence format does", (_name, value, type, bytes) => {
    const e = encodeValue(value);
    expect(e.type).toBe(type);
    expect(valueTypeOf(value)).toBe(type);
    expect(hex(e.body)).toBe(bytes);
    expect(canon(decodeValue(e.type, e.body))).toEqual(canon(value));
  });

  it("round-trips binary bytes and large containers, through a shared writer", () => {
    const all = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join("");
    const big = new ListValue(Array.from({ length: 20_000 }, (_, i) => `e${i}${all.slice(i % 256)}`));
    const w = new ByteWriter(16);
    const types = [writeValueBody(w, all), writeValueBody(w, big), writeValueBody(w, zset())];
    const r = new ByteReader(w.take());
    expect(readValueBody(r, types[0] as number)).toBe(all);
    expect(canon(readValueBody(r, types[1] as number))).toEqual(canon(big));
    expect(canon(readValueBody(r, types[2] as number))).toEqual(canon(zset()));
    expect(r.done).toBe(true);
  });

  it("refuses a truncated body, trailing bytes, an unknown type, an impossible count and a NaN score", () => {
    const { body } = encodeValue(hash());
    for (let cut = 0; cut < body.length; cut++)
      expect(() => decodeValue(ValueType.HASH, body.subarray(0, cut))).toThrow(MalformedDataError);
    expect(() => decodeValue(ValueType.HASH, new Uint8Array([...body, 0]))).toThrow(MalformedDataError);
    expect(() => decodeValue(9, body)).toThrow(MalformedDataError);
    // A count of 2^32-1 elements with a few bytes left fails at once, without allocating.
    expect(() => decodeValue(ValueType.LIST, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0]))).toThrow(
      MalformedDataError,
    );
    const nan = new ByteWriter();
    nan.u32(1);
    nan.bytes("m");
    nan.f64(Number.NaN);
    expect(() => decodeValue(ValueType.ZSET, nan.take())).toThrow(MalformedDataError);
  });

  it("decodes every byte value at every short length (the one-call path) and past it", () => {
    for (let n = 0; n <= SHORT_LATIN1 + 2; n++) {
      for (let start = 0; start < 256; start += n === 0 ? 256 : 1) {
        const data = Uint8Array.from({ length: n + 3 }, (_, i) => (start + i * 29) % 256);
        const expected = String.fromCharCode(...data.subarray(1, 1 + n));
        expect(decodeLatin1(data, 1, 1 + n)).toBe(expected);
        if (n <= SHORT_LATIN1) expect(shortLatin1(data, 1, n)).toBe(expected);
        else expect(shortLatin1(data, 1, n)).toBeUndefined();
      }
    }
  });

  it("decodes latin1 of every length the same way", () => {
    const data = Uint8Array.from({ length: 20_000 }, (_, i) => (i * 7) % 256);
    for (const n of [0, 1, 15, 16, 17, 8192, 8193, 20_000]) {
      const s = decodeLatin1(data, 0, n);
      expect(s.length).toBe(n);
      for (let i = 0; i < n; i += 997) expect(s.charCodeAt(i)).toBe(data[i]);
    }
  });
});
