import { describe, expect, it } from "vitest";
import { SkipList, type SkipNode } from "./skiplist.js";
import { seededRandom } from "./testing.js";

type Entry = [score: number, member: string];

const cmp = (a: Entry, b: Entry): number => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0);

/** The list's contents as entries, in order. */
const entries = (list: SkipList): Entry[] => [...list].map((n) => [n.score, n.member]);

describe("SkipList", () => {
  it("orders by score, then member bytes", () => {
    const list = new SkipList(7);
    list.insert(2, "b");
    list.insert(1, "z");
    list.insert(2, "a");
    list.insert(2, "\u00ff");
    list.insert(Number.NEGATIVE_INFINITY, "m");
    list.insert(2, "aa");
    list.verify();
    expect(entries(list)).toEqual([
      [Number.NEGATIVE_INFINITY, "m"],
      [1, "z"],
      [2, "a"],
      [2, "aa"],
      [2, "b"],
      [2, "\u00ff"],
    ]);
    expect(list.first?.member).toBe("m");
    expect(list.last?.member).toBe("\u00ff");
    expect(list.last?.backward?.member).toBe("b");
  });

  it("ranks, selects and deletes on an empty and a one-node list", () => {
    const list = new SkipList();
    expect(list.at(1)).toBeNull();
    expect(list.rank(1, "a")).toBe(0);
    expect(list.delete(1, "a")).toBe(false);
    list.insert(1, "a");
    expect(list.rank(1, "a")).toBe(1);
    expect(list.rank(2, "a")).toBe(0);
    expect(list.at(1)?.member).toBe("a");
    expect(list.at(2)).toBeNull();
    expect(list.delete(1, "b")).toBe(false);
    expect(list.delete(1, "a")).toBe(true);
    expect(list.length).toBe(0);
    expect(list.first).toBeNull();
    expect(list.last).toBeNull();
    list.verify();
  });

  it.each([1, 2, 3])("matches a sorted-array model under thousands of random operations (seed %i)", (seed) => {
    const rnd = seededRandom(seed);
    const list = new SkipList(seed * 977);
    const model: Entry[] = [];
    const scoreOf = new Map<string, number>();
    const pick = (n: number): number => Math.floor(rnd() * n);
    for (let op = 0; op < 4000; op++) {
      const kind = rnd();
      if (kind < 0.5) {
        const member = `m${pick(600)}`;
        const score = pick(40) - 20 + (rnd() < 0.2 ? 0.5 : 0);
        const old = scoreOf.get(member);
        if (old !== undefined) {
          expect(list.delete(old, member)).toBe(true);
          model.splice(
            model.findIndex((e) => e[1] === member),
            1,
          );
        }
        list.insert(score, member);
        scoreOf.set(member, score);
        model.push([score, member]);
        model.sort(cmp);
      } else if (kind < 0.75 && model.length > 0) {
        const [score, member] = model[pick(model.length)] as Entry;
        expect(list.delete(score, member)).toBe(true);
        model.splice(
          model.findIndex((e) => e[1] === member),
          1,
        );
        scoreOf.delete(member);
      } else if (kind < 0.8) {
        expect(list.delete(pick(40), `absent${op}`)).toBe(false);
      } else if (kind < 0.82 && model.length > 0) {
        const a = 1 + pick(model.length);
        const b = Math.min(model.length, a + pick(5));
        const gone: string[] = [];
        expect(list.deleteRangeByRank(a, b, (n: SkipNode) => gone.push(n.member))).toBe(b - a + 1);
        const removed = model.splice(a - 1, b - a + 1);
        expect(gone).toEqual(removed.map((e) => e[1]));
        for (const e of removed) scoreOf.delete(e[1]);
      } else {
        // Ranks, selection and score-range bounds against the model.
        for (let k = 0; k < 3 && model.length > 0; k++) {
          const i = pick(model.length);
          const [score, member] = model[i] as Entry;
          expect(list.rank(score, member)).toBe(i + 1);
          expect(list.at(i + 1)?.member).toBe(member);
        }
        const lo = pick(44) - 22;
        const hi = lo + pick(10);
        const first = list.firstWhere(
          (n) => n.score < lo,
          (n) => n.score <= hi,
        );
        const last = list.lastWhereIn(
          (n) => n.score < lo,
          (n) => n.score <= hi,
        );
        const inRange = model.map((e, idx) => [e, idx] as const).filter(([e]) => e[0] >= lo && e[0] <= hi);
        if (inRange.length === 0) {
          expect(first).toBeNull();
          expect(last).toBeNull();
        } else {
          expect(first?.rank).toBe((inRange[0] as (typeof inRange)[number])[1] + 1);
          expect(last?.rank).toBe((inRange[inRange.length - 1] as (typeof inRange)[number])[1] + 1);
          expect(first?.node.member).toBe((inRange[0] as (typeof inRange)[number])[0][1]);
        }
      }
      expect(list.length).toBe(model.length);
      if (op % 200 === 0) list.verify();
    }
    list.verify();
    expect(entries(list)).toEqual(model);
    // Walking backward gives the reverse order.
    const back: string[] = [];
    for (let x = list.last; x; x = x.backward) back.push(x.member);
    expect(back).toEqual(model.map((e) => e[1]).reverse());
  });

  it("stays logarithmic: ranks of 20k nodes need few steps", () => {
    const list = new SkipList(99);
    for (let i = 0; i < 20_000; i++) list.insert(i, `k${i}`);
    list.verify();
    expect(list.at(12_345)?.member).toBe("k12344");
    expect(list.rank(19_999, "k19999")).toBe(20_000);
    const gone: string[] = [];
    expect(list.deleteRangeByRank(1, 10_000, (n) => gone.push(n.member))).toBe(10_000);
    expect(gone[9_999]).toBe("k9999");
    list.verify();
    expect(list.first?.member).toBe("k10000");
  });

  it("is deterministic for a given seed", () => {
    const shape = (seed: number): number[] => {
      const list = new SkipList(seed);
      return Array.from({ length: 50 }, (_, i) => list.insert(i, `x${i}`).forward.length);
    };
    expect(shape(5)).toEqual(shape(5));
    expect(shape(5)).not.toEqual(shape(6));
  });
});
