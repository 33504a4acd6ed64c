import { describe, expect, it } from "vitest";
import type { Bytes } from "./bytes.js";
import { ExpiryIndex } from "./expiry-index.js";
import { seededRandom } from "./testing.js";

/** The reference model: a plain list, sorted on demand by (deadline, key bytes). */
class NaiveIndex {
  entries: { key: Bytes; at: number }[] = [];
  add(key: Bytes, at: number): void {
    this.entries.push({ key, at });
  }
  remove(key: Bytes, at: number): void {
    const i = this.entries.findIndex((e) => e.key === key && e.at === at);
    if (i >= 0) this.entries.splice(i, 1);
  }
  dueCount(now: number): number {
    return this.entries.filter((e) => e.at < now).length;
  }
  popDue(now: number, max: number): Bytes[] {
    const due = this.entries
      .filter((e) => e.at < now)
      .sort((a, b) => a.at - b.at || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .slice(0, max);
    const gone = new Set(due);
    this.entries = this.entries.filter((e) => !gone.has(e));
    return due.map((e) => e.key);
  }
}

describe("ExpiryIndex", () => {
  it.each([
    { name: "few deadlines (many ties)", deadlines: 20, seed: 1 },
    { name: "spread deadlines", deadlines: 100_000, seed: 2 },
    { name: "mixed", deadlines: 500, seed: 3 },
    // The sweep's pops: a few keys at a time from the front of the first block, between adds and
    // removes that land in that same block (which then holds entries from a moved start slot).
    { name: "small pops between adds and removes", deadlines: 300, seed: 4, popMax: 3, popShare: 0.3 },
    { name: "single-key pops, ties", deadlines: 5, seed: 5, popMax: 1, popShare: 0.4 },
  ])("matches a naive model over random operations: $name", ({ deadlines, seed, popMax = 700, popShare = 0.05 }) => {
    const rnd = seededRandom(seed);
    const index = new ExpiryIndex();
    const model = new NaiveIndex();
    const deadlineOf = new Map<Bytes, number>();
    let nextKey = 0;
    let maxBlocks = 0;
    const reused = new Array<Bytes>(300).fill("x");
    for (let op = 0; op < 6000; op++) {
      const r = rnd();
      if (r < (1 - popShare) * 0.58 || deadlineOf.size === 0) {
        // Bursts of adds grow past one block so splits happen.
        const burst = 1 + Math.floor(rnd() * 8);
        for (let i = 0; i < burst; i++) {
          const key = `k${(nextKey++ * 7919) % 1_000_003}`;
          const at = Math.floor(rnd() * deadlines);
          index.add(key, at);
          model.add(key, at);
          deadlineOf.set(key, at);
        }
      } else if (r < (1 - popShare) * 0.84) {
        const keys = [...deadlineOf.keys()];
        const key = keys[Math.floor(rnd() * keys.length)] as Bytes;
        const at = deadlineOf.get(key) as number;
        // Sometimes a wrong deadline or an unknown key: must be a no-op.
        if (rnd() < 0.1) index.remove(key, at + 1);
        else if (rnd() < 0.05) index.remove("absent", at);
        else {
          index.remove(key, at);
          model.remove(key, at);
          deadlineOf.delete(key);
        }
      } else if (r < 1 - popShare) {
        const now = Math.floor(rnd() * (deadlines + 2));
        expect(index.dueCount(now)).toBe(model.dueCount(now));
      } else {
        const now = Math.floor(rnd() * deadlines * (popShare > 0.05 ? 0.6 : 0.3));
        const max = 1 + Math.floor(rnd() * popMax);
        // Half the pops go through popDueInto with a reused, dirty buffer: same keys, same order.
        let got: Bytes[];
        if (rnd() < 0.5) got = index.popDue(now, max);
        else {
          const n = index.popDueInto(now, max, reused);
          expect(reused.slice(n)).toEqual(new Array(Math.max(0, reused.length - n)).fill("x"));
          got = reused.slice(0, n);
          reused.fill("x");
        }
        expect(got).toEqual(model.popDue(now, max));
        for (const k of got) deadlineOf.delete(k);
      }
      expect(index.size).toBe(model.entries.length);
      maxBlocks = Math.max(maxBlocks, index.blockCount);
    }
    expect(maxBlocks).toBeGreaterThan(2); // the run did exercise splitting
    // Drain everything: the full order must match.
    expect(index.dueCount(Number.POSITIVE_INFINITY)).toBe(model.entries.length);
    expect(index.popDue(Number.POSITIVE_INFINITY, 1e9)).toEqual(model.popDue(Number.POSITIVE_INFINITY, 1e9));
    expect(index.size).toBe(0);
    expect(index.blockCount).toBe(0);
  });

  it("finds the exact key among 200k keys sharing one deadline", () => {
    const index = new ExpiryIndex();
    const n = 200_000;
    for (let i = 0; i < n; i++) index.add(`key:${i}`, 5000);
    expect(index.size).toBe(n);
    index.remove("key:123456", 4999); // wrong deadline: nothing happens
    expect(index.size).toBe(n);
    const rnd = seededRandom(9);
    const removed = new Set<number>();
    while (removed.size < 1000) removed.add(Math.floor(rnd() * n));
    for (const i of removed) index.remove(`key:${i}`, 5000);
    expect(index.size).toBe(n - 1000);
    expect(index.dueCount(5000)).toBe(0);
    expect(index.dueCount(5001)).toBe(n - 1000);
    const all = index.popDue(5001, n);
    expect(all.length).toBe(n - 1000);
    const returned = new Set(all);
    for (const i of removed) expect(returned.has(`key:${i}`)).toBe(false);
    // Ties come out in key byte order.
    const sorted = [...all].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(all).toEqual(sorted);
  });

  it.each([
    { now: 99, due: 0 },
    { now: 100, due: 0 }, // deadline == now: not due yet (a key expires once now > deadline)
    { now: 101, due: 2 },
    { now: 201, due: 3 },
  ])("dueCount($now) = $due", ({ now, due }) => {
    const index = new ExpiryIndex();
    index.add("b", 100);
    index.add("a", 100);
    index.add("c", 200);
    index.add("d", 300);
    expect(index.dueCount(now)).toBe(due);
  });

  it("popDue takes the earliest entries first, ties by key bytes, and respects max", () => {
    const index = new ExpiryIndex();
    index.add("\xff", 10);
    index.add("b", 10);
    index.add("a", 20);
    index.add("z", 5);
    index.add("late", 100);
    expect(index.popDue(21, 2)).toEqual(["z", "b"]);
    expect(index.popDue(21, 10)).toEqual(["\xff", "a"]);
    expect(index.popDue(21, 10)).toEqual([]);
    expect(index.size).toBe(1);
    expect(index.popDue(101, 0)).toEqual([]);
  });

  it("keeps blocks full when deadlines grow (the common now + TTL case)", () => {
    const index = new ExpiryIndex();
    for (let i = 0; i < 10_240; i++) index.add(`k${i}`, 1000 + i);
    expect(index.blockCount).toBe(20);
    expect(index.dueCount(1000 + 5000)).toBe(5000);
  });

  it("merges sparse blocks after removals and drops empty ones", () => {
    const index = new ExpiryIndex();
    for (let i = 0; i < 5120; i++) index.add(`k${i}`, i);
    for (let i = 0; i < 5120; i++) if (i % 16 !== 0) index.remove(`k${i}`, i);
    expect(index.size).toBe(320);
    expect(index.blockCount).toBeLessThanOrEqual(2);
    expect(index.popDue(Number.POSITIVE_INFINITY, 1000)).toEqual(Array.from({ length: 320 }, (_, j) => `k${j * 16}`));
  });

  it("earliest follows the smallest deadline through adds, removes, pops and clear", () => {
    const index = new ExpiryIndex();
    const naive = new NaiveIndex();
    const rnd = seededRandom(7);
    const least = (): number | undefined =>
      naive.entries.length === 0 ? undefined : Math.min(...naive.entries.map((e) => e.at));
    expect(index.earliest).toBeUndefined();
    for (let step = 0; step < 3000; step++) {
      const op = rnd();
      if (op < 0.6) {
        const key = `k${step}`;
        const at = Math.floor(rnd() * 5000);
        index.add(key, at);
        naive.add(key, at);
      } else if (op < 0.9 && naive.entries.length > 0) {
        const e = naive.entries[Math.floor(rnd() * naive.entries.length)] as { key: Bytes; at: number };
        index.remove(e.key, e.at);
        naive.remove(e.key, e.at);
      } else {
        const now = Math.floor(rnd() * 5000);
        expect(index.popDue(now, 700)).toEqual(naive.popDue(now, 700));
      }
      expect(index.earliest).toBe(least());
    }
    index.clear();
    expect(index.earliest).toBeUndefined();
  });

  it("clear empties it", () => {
    const index = new ExpiryIndex();
    for (let i = 0; i < 2000; i++) index.add(`k${i}`, i);
    index.clear();
    expect(index.size).toBe(0);
    expect(index.dueCount(1e15)).toBe(0);
    expect(index.popDue(1e15, 10)).toEqual([]);
    index.add("again", 1);
    expect(index.dueCount(2)).toBe(1);
  });
});
