import { describe, expect, it } from "vitest";
import { ListValue, resolveRange } from "./list-deque.js";
import { seededRandom } from "./testing.js";

const list = (...xs: string[]): ListValue => new ListValue(xs);

describe("resolveRange (LRANGE/LTRIM index rules)", () => {
  const cases: [start: number, stop: number, length: number, expected: [number, number] | null][] = [
    [0, -1, 5, [0, 4]],
    [0, 0, 5, [0, 0]],
    [-2, -1, 5, [3, 4]],
    [-100, 100, 5, [0, 4]],
    [2, 1, 5, null],
    [5, 10, 5, null],
    [0, -6, 5, null],
    [-6, -5, 5, [0, 0]],
    [0, -1, 0, null],
    [1, 3, 5, [1, 3]],
    [-1, -1, 1, [0, 0]],
    [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 3, [0, 2]],
  ];
  it.each(cases)("start %d stop %d of %d -> %j", (start, stop, length, expected) => {
    expect(resolveRange(start, stop, length)).toEqual(expected);
  });
});

describe("ListValue basics", () => {
  it("is a list container", () => {
    const l = list();
    expect(l.type).toBe("list");
    expect(l.size).toBe(0);
    expect(l.toArray()).toEqual([]);
  });

  it("pushes and pops at both ends", () => {
    const l = list();
    l.pushTail("b");
    l.pushHead("a");
    l.pushTail("c");
    expect(l.toArray()).toEqual(["a", "b", "c"]);
    expect(l.popHead()).toBe("a");
    expect(l.popTail()).toBe("c");
    expect(l.popTail()).toBe("b");
    expect(l.popHead()).toBeUndefined();
    expect(l.popTail()).toBeUndefined();
    expect(l.size).toBe(0);
  });

  it.each([
    [0, "a"],
    [2, "c"],
    [-1, "c"],
    [-3, "a"],
    [3, undefined],
    [-4, undefined],
  ])("at(%d) -> %s", (index, expected) => {
    expect(list("a", "b", "c").at(index)).toBe(expected);
  });

  it.each([
    [0, true, ["x", "b", "c"]],
    [-1, true, ["a", "b", "x"]],
    [3, false, ["a", "b", "c"]],
    [-4, false, ["a", "b", "c"]],
  ])("set(%d) -> %s", (index, ok, after) => {
    const l = list("a", "b", "c");
    expect(l.set(index, "x")).toBe(ok);
    expect(l.toArray()).toEqual(after);
  });

  it.each([
    [0, ["x", "a", "b", "c", "d"]],
    [1, ["a", "x", "b", "c", "d"]],
    [2, ["a", "b", "x", "c", "d"]],
    [3, ["a", "b", "c", "x", "d"]],
    [4, ["a", "b", "c", "d", "x"]],
  ])("insert(%d)", (index, after) => {
    const l = list("a", "b", "c", "d");
    l.insert(index, "x");
    expect(l.toArray()).toEqual(after);
    expect(l.size).toBe(5);
  });

  it("insert rejects an index outside 0..size", () => {
    expect(() => list("a").insert(2, "x")).toThrow(RangeError);
    expect(() => list("a").insert(-1, "x")).toThrow(RangeError);
  });

  it.each([
    [0, "a", ["b", "c", "d", "e"]],
    [1, "b", ["a", "c", "d", "e"]],
    [2, "c", ["a", "b", "d", "e"]],
    [3, "d", ["a", "b", "c", "e"]],
    [-1, "e", ["a", "b", "c", "d"]],
    [5, undefined, ["a", "b", "c", "d", "e"]],
  ])("removeAt(%d) -> %s", (index, removed, after) => {
    const l = list("a", "b", "c", "d", "e");
    expect(l.removeAt(index)).toBe(removed);
    expect(l.toArray()).toEqual(after);
  });

  it.each([
    ["a", 0, false, 3, ["b", "c"]],
    ["a", 1, false, 1, ["b", "a", "c", "a"]],
    ["a", 2, false, 2, ["b", "c", "a"]],
    ["a", 1, true, 1, ["a", "b", "a", "c"]],
    ["a", 2, true, 2, ["a", "b", "c"]],
    ["a", 9, true, 3, ["b", "c"]],
    ["z", 0, false, 0, ["a", "b", "a", "c", "a"]],
  ])("removeMatching(%s, %d, fromTail=%s) -> %d", (el, limit, fromTail, n, after) => {
    const l = list("a", "b", "a", "c", "a");
    expect(l.removeMatching(el, limit, fromTail)).toBe(n);
    expect(l.toArray()).toEqual(after);
    expect(l.size).toBe(after.length);
  });

  it.each([
    [0, -1, ["a", "b", "c", "d", "e"]],
    [1, -2, ["b", "c", "d"]],
    [-2, -1, ["d", "e"]],
    [3, 1, []],
    [10, 20, []],
    [-100, 0, ["a"]],
  ])("trim(%d, %d)", (start, stop, after) => {
    const l = list("a", "b", "c", "d", "e");
    l.trim(start, stop);
    expect(l.toArray()).toEqual(after);
    expect(l.size).toBe(after.length);
  });

  it("range, slice and iteration", () => {
    const l = list("a", "b", "c", "d");
    expect(l.range(1, -1)).toEqual(["b", "c", "d"]);
    expect(l.range(5, 9)).toEqual([]);
    expect(l.slice(1, 2, true)).toEqual(["c", "b"]);
    expect(l.slice(-5, 99)).toEqual(["a", "b", "c", "d"]);
    expect([...l]).toEqual(["a", "b", "c", "d"]);
    expect([...l.values(true)]).toEqual(["d", "c", "b", "a"]);
    expect(l.indexOf("c")).toBe(2);
    expect(l.indexOf("a", 1)).toBe(-1);
    expect(l.lastIndexOf("a")).toBe(0);
    expect(l.lastIndexOf("d", 2)).toBe(-1);
  });

  it("clone is deep", () => {
    const l = list("a", "b");
    const c = l.clone();
    c.pushTail("c");
    c.set(0, "z");
    expect(l.toArray()).toEqual(["a", "b"]);
    expect(c.toArray()).toEqual(["z", "b", "c"]);
  });

  it("memoryBytes follows the elements", () => {
    const l = list();
    const empty = l.memoryBytes();
    l.pushTail("x".repeat(1000));
    const one = l.memoryBytes();
    expect(one - empty).toBeGreaterThanOrEqual(1000);
    l.set(0, "y");
    expect(l.memoryBytes()).toBeLessThan(one - 900);
    l.popHead();
    expect(l.memoryBytes()).toBe(empty);
  });

  it("keeps elements binary-safe", () => {
    const bin = "\x00\xff\r\n";
    const l = list(bin, "");
    expect(l.at(0)).toBe(bin);
    expect(l.at(1)).toBe("");
    expect(l.indexOf("")).toBe(1);
  });
});

describe("ListValue capacity", () => {
  it("grows in powers of two and shrinks when mostly empty", () => {
    const l = list();
    expect(l.capacity).toBe(8);
    for (let i = 0; i < 1000; i++) l.pushTail(String(i));
    expect(l.capacity).toBe(1024);
    for (let i = 0; i < 990; i++) l.popHead();
    expect(l.capacity).toBeLessThanOrEqual(32);
    expect(l.toArray()).toEqual(["990", "991", "992", "993", "994", "995", "996", "997", "998", "999"]);
  });

  it("drop of most elements reallocates small", () => {
    const l = new ListValue(Array.from({ length: 4096 }, (_, i) => String(i)));
    l.trim(100, 102);
    expect(l.toArray()).toEqual(["100", "101", "102"]);
    expect(l.capacity).toBe(8);
    l.drop(1, 1);
    expect(l.toArray()).toEqual(["101"]);
  });

  it("stays correct across wrap-around", () => {
    const l = list();
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 5; i++) l.pushTail(`${round}:${i}`);
      for (let i = 0; i < 5; i++) expect(l.popHead()).toBe(`${round}:${i}`);
    }
    expect(l.size).toBe(0);
  });

  it("100k pushes and pops at both ends", () => {
    const n = 100_000;
    const l = list();
    for (let i = 0; i < n; i++) {
      l.pushTail(`t${i}`);
      l.pushHead(`h${i}`);
    }
    expect(l.size).toBe(2 * n);
    expect(l.at(0)).toBe(`h${n - 1}`);
    expect(l.at(-1)).toBe(`t${n - 1}`);
    expect(l.at(n - 1)).toBe("h0");
    expect(l.at(n)).toBe("t0");
    // Plain comparisons in the hot loop (an expect per element is slow); the count must be zero.
    let wrong = 0;
    for (let i = n - 1; i >= 0; i--) {
      if (l.popHead() !== `h${i}`) wrong++;
      if (l.popTail() !== `t${i}`) wrong++;
    }
    expect(wrong).toBe(0);
    expect(l.size).toBe(0);
    expect(l.capacity).toBe(8);
  });
});

describe("ListValue against an array model (seeded random operations)", () => {
  it.each([1, 2, 3, 4])("seed %d", (seed) => {
    const rnd = seededRandom(seed);
    const pick = (n: number): number => Math.floor(rnd() * n);
    const l = list();
    let model: string[] = [];
    for (let step = 0; step < 5000; step++) {
      const v = `v${pick(20)}`;
      const n = model.length;
      switch (pick(10)) {
        case 0:
        case 1:
          l.pushHead(v);
          model.unshift(v);
          break;
        case 2:
        case 3:
          l.pushTail(v);
          model.push(v);
          break;
        case 4:
          expect(l.popHead()).toBe(model.shift());
          break;
        case 5:
          expect(l.popTail()).toBe(model.pop());
          break;
        case 6: {
          const i = pick(n + 1);
          l.insert(i, v);
          model.splice(i, 0, v);
          break;
        }
        case 7: {
          const i = pick(n + 2) - 1;
          expect(l.removeAt(i)).toBe(i >= 0 && i < n ? model.splice(i, 1)[0] : i === -1 ? model.pop() : undefined);
          break;
        }
        case 8: {
          const limit = pick(3);
          const fromTail = rnd() < 0.5;
          let removed = 0;
          const keep = (fromTail ? [...model].reverse() : model).filter((x) => {
            if (x === v && (limit === 0 || removed < limit)) {
              removed++;
              return false;
            }
            return true;
          });
          model = fromTail ? keep.reverse() : keep;
          expect(l.removeMatching(v, limit, fromTail)).toBe(removed);
          break;
        }
        default: {
          const i = pick(n + 1) - 1;
          if (i >= 0 && i < n) {
            expect(l.at(i)).toBe(model[i]);
            l.set(i, v);
            model[i] = v;
          }
        }
      }
      expect(l.size).toBe(model.length);
    }
    expect(l.toArray()).toEqual(model);
  });
});
