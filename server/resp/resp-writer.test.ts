/**
 * The reply writer's fast paths against RESP as written by hand: arrays of byte strings encoded in
 * one loop (LRANGE, HGETALL, KEYS…) give the bytes the generic per-item path gives, for every
 * length class, every byte value, mixed and nested arrays and arrays past one slab; and the slab is
 * reused once the socket no longer holds what was taken (and only then).
 */
import { describe, expect, it } from "vitest";
import { RespWriter } from "./resp-writer.js";

/** RESP2 of an array of byte strings (null items as `$-1`), written the obvious way. */
function expected(items: readonly (string | null)[]): Buffer {
  let s = `*${items.length}\r\n`;
  for (const item of items) s += item === null ? "$-1\r\n" : `$${item.length}\r\n${item}\r\n`;
  return Buffer.from(s, "latin1");
}

function encode(items: readonly unknown[], w = new RespWriter()): Buffer {
  w.value(items as never);
  return Buffer.concat(w.take());
}

/** A byte string of `n` bytes cycling through every byte value from `seed`. */
const bytes = (n: number, seed: number): string => {
  let s = "";
  for (let i = 0; i < n; i++) s += String.fromCharCode((seed + i * 31) & 0xff);
  return s;
};

describe("RespWriter arrays of byte strings", () => {
  it("every length class (0-9, 10-99, 100+, short and long copies) and every byte value", () => {
    const lengths = [0, 1, 3, 9, 10, 11, 47, 48, 49, 99, 100, 101, 255, 300, 1000, 9999, 10000];
    const items = lengths.map((n, i) => bytes(n, i * 7));
    expect(encode(items).equals(expected(items))).toBe(true);
    for (let n = 0; n <= 300; n++) {
      const one = [bytes(n, n)];
      expect(encode(one).equals(expected(one)), `length ${n}`).toBe(true);
    }
    expect(encode([]).toString("latin1")).toBe("*0\r\n");
  });

  it("mixed arrays (nil, integers, nested arrays) go item by item with the same bytes", () => {
    const w = new RespWriter();
    w.value(["a", null, "bc"]);
    w.value(["x", 5, ["y", "zz"], []]);
    expect(Buffer.concat(w.take()).toString("latin1")).toBe(
      "*3\r\n$1\r\na\r\n$-1\r\n$2\r\nbc\r\n" + "*4\r\n$1\r\nx\r\n:5\r\n*2\r\n$1\r\ny\r\n$2\r\nzz\r\n*0\r\n",
    );
  });

  it("arrays larger than a slab, and many arrays across slabs, keep every byte in order", () => {
    const big = Array.from({ length: 3000 }, (_, i) => bytes(40 + (i % 90), i));
    const w = new RespWriter();
    const parts: Buffer[] = [];
    const want: Buffer[] = [];
    for (let r = 0; r < 5; r++) {
      const items = big.slice(r * 300);
      w.value(items);
      want.push(expected(items));
      if (r % 2 === 1) parts.push(...w.take());
    }
    parts.push(...w.take());
    expect(Buffer.concat(parts).equals(Buffer.concat(want))).toBe(true);
  });
});

describe("RespWriter slab reuse", () => {
  it("recycle() after a take writes the next replies from the slab's start, in the same slab", () => {
    const w = new RespWriter();
    w.value(["aaa", "bbb"]);
    const [first] = w.take();
    w.recycle();
    w.value(["ccc"]);
    const [second] = w.take();
    expect(second?.buffer).toBe(first?.buffer);
    expect(second?.byteOffset).toBe(first?.byteOffset);
    expect(second?.toString("latin1")).toBe("*1\r\n$3\r\nccc\r\n");
  });

  it("recycle() with bytes written and not yet taken changes nothing", () => {
    const w = new RespWriter();
    w.value("one");
    const [first] = w.take();
    w.value("two");
    w.recycle(); // "two" is not taken yet: it must survive
    w.value("three");
    const out = Buffer.concat(w.take()).toString("latin1");
    expect(out).toBe("$3\r\ntwo\r\n$5\r\nthree\r\n");
    expect(first?.toString("latin1")).toBe("$3\r\none\r\n");
  });

  it("without recycle() the bytes taken are never overwritten", () => {
    const w = new RespWriter();
    const held: [Buffer, string][] = [];
    for (let i = 0; i < 2000; i++) {
      w.value([`v${i}`, bytes(i % 200, i)]);
      for (const b of w.take()) held.push([b, b.toString("latin1")]);
    }
    for (const [b, text] of held) expect(b.toString("latin1")).toBe(text);
  });
});

describe("RespWriter integers", () => {
  it("every digit count, both sides of each power of ten, the int32 edge and past it", () => {
    const values: number[] = [0, 1, 9, 2 ** 31 - 2, 2 ** 31 - 1, 2 ** 31, 2 ** 32, Number.MAX_SAFE_INTEGER];
    for (let p = 10; p <= 1e15; p *= 10) values.push(p - 1, p, p + 1);
    let seed = 99;
    for (let i = 0; i < 2000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      values.push(seed % 10 ** (1 + (i % 10)));
    }
    const w = new RespWriter();
    for (const n of values) w.integer(n);
    w.integer(-5);
    w.integer(123456789012345678901234567890n);
    const want = `${values.map((n) => `:${n}\r\n`).join("")}:-5\r\n:123456789012345678901234567890\r\n`;
    expect(Buffer.concat(w.take()).toString("latin1")).toBe(want);
  });
});
