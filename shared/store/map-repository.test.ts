import { describe, expect, it } from "vitest";
import type { Bytes } from "./bytes.js";
import { StoreError } from "./errors.js";
import type { EventClass } from "./events.js";
import { MapRepository } from "./map-repository.js";
import type { KeyspaceView } from "./repository.js";
import { seededRandom } from "./testing.js";
import type { ContainerValue } from "./value.js";

const T0 = 1_780_000_000_000;

/** A repository with recorded events and a movable "now" for each call. */
function setup() {
  const events: { event: string; key: Bytes; cls: EventClass }[] = [];
  const repo = new MapRepository({
    random: seededRandom(7),
    notify: (cls, event, key) => events.push({ cls, event, key }),
  });
  let now = T0;
  const at = <R>(fn: (v: KeyspaceView) => R): R => repo.atomic(null, now, fn);
  return {
    repo,
    events,
    at,
    setNow: (ms: number) => {
      now = ms;
    },
  };
}

const fakeList = (size: number): ContainerValue => ({
  type: "list",
  size,
  clone: () => fakeList(size),
  memoryBytes: () => size * 8,
});

/** Puts `live` (no TTL), `ttl` (due at T0+100) and `gone` (due at T0+10). */
function threeKeys() {
  const s = setup();
  s.at((v) => {
    v.put("live", "1");
    v.put("ttl", "2");
    v.setExpireAt("ttl", T0 + 100);
    v.put("gone", "3");
    v.setExpireAt("gone", T0 + 10);
  });
  s.setNow(T0 + 11); // "gone" is past its deadline, not yet reclaimed
  return s;
}

describe("MapRepository: lazy expiry on every access path", () => {
  it.each<{ name: string; run: (v: KeyspaceView) => unknown; expected: unknown }>([
    { name: "lookup", run: (v) => v.lookup("gone"), expected: undefined },
    { name: "remove", run: (v) => v.remove("gone"), expected: false },
    { name: "expireAt", run: (v) => v.expireAt("gone"), expected: undefined },
    { name: "persist", run: (v) => v.persist("gone"), expected: false },
    {
      name: "setExpireAt",
      run: (v) => {
        v.setExpireAt("gone", T0 + 10_000);
        return v.lookup("gone");
      },
      expected: undefined,
    },
  ])("$name sees a due key as missing and reclaims it with one expired event", ({ run, expected }) => {
    const s = threeKeys();
    expect(s.at(run)).toEqual(expected);
    expect(s.events.filter((e) => e.event === "expired")).toEqual([{ cls: "expired", event: "expired", key: "gone" }]);
    expect(s.repo.stats()).toMatchObject({ keys: 2, keysWithTtl: 1, expiredKeys: 1 });
  });

  it("treats deadline == now as live and now > deadline as expired", () => {
    const s = setup();
    s.at((v) => {
      v.put("k", "v");
      v.setExpireAt("k", T0 + 50);
    });
    s.setNow(T0 + 50);
    expect(s.at((v) => [v.lookup("k"), v.size()])).toEqual(["v", 1]);
    s.setNow(T0 + 51);
    expect(s.at((v) => v.size())).toBe(0);
    expect(s.at((v) => v.lookup("k"))).toBeUndefined();
  });

  it("counts due keys out of size() without reclaiming them; expiresSize is approximate", () => {
    const s = threeKeys();
    expect(s.at((v) => v.size())).toBe(2);
    expect(s.repo.expiresSize()).toBe(2);
    expect(s.events).toEqual([]);
    expect(s.repo.stats().keys).toBe(3);
  });

  it("skips due keys in scan, reclaiming them, and does not count hits", () => {
    const s = threeKeys();
    const page = s.at((v) => v.scan("0", 100, {}));
    expect(page.cursor).toBe("0");
    expect([...page.keys].sort()).toEqual(["live", "ttl"]);
    expect(s.events.map((e) => e.key)).toEqual(["gone"]);
    expect(s.repo.stats()).toMatchObject({ hits: 0, misses: 0 });
  });

  it("never returns a due key from randomKey", () => {
    const s = setup();
    s.at((v) => {
      for (let i = 0; i < 50; i++) {
        v.put(`d${i}`, "x");
        v.setExpireAt(`d${i}`, T0 + 1);
      }
      v.put("alive", "x");
    });
    s.setNow(T0 + 2);
    for (let i = 0; i < 20; i++) expect(s.at((v) => v.randomKey())).toBe("alive");
    s.at((v) => v.remove("alive"));
    // Only due keys left: each attempt reclaims one; the answer is never a due key.
    expect(s.at((v) => v.randomKey())).toBeUndefined();
    expect(s.at((v) => v.size())).toBe(0);
  });

  it("put on a due key reclaims it first, so KEEPTTL keeps no stale deadline", () => {
    const s = threeKeys();
    s.at((v) => v.put("gone", "new", true));
    expect(s.events.map((e) => e.event)).toEqual(["expired"]);
    expect(s.at((v) => [v.lookup("gone"), v.expireAt("gone")])).toEqual(["new", undefined]);
  });

  it("put clears the TTL unless keepTtl", () => {
    const s = threeKeys();
    s.at((v) => v.put("ttl", "a", true));
    expect(s.at((v) => v.expireAt("ttl"))).toBe(T0 + 100);
    s.at((v) => v.put("ttl", "b"));
    expect(s.at((v) => v.expireAt("ttl"))).toBeUndefined();
    s.setNow(T0 + 1000);
    expect(s.at((v) => v.lookup("ttl"))).toBe("b");
  });

  it("counts hits and misses on lookup", () => {
    const s = threeKeys();
    s.at((v) => [v.lookup("live"), v.lookup("nope"), v.lookup("gone")]);
    expect(s.repo.stats()).toMatchObject({ hits: 1, misses: 2 });
  });

  it("flush removes everything and reports live keys only", () => {
    const s = threeKeys();
    expect(s.at((v) => v.flush())).toBe(2);
    expect(s.repo.stats()).toMatchObject({ keys: 0, keysWithTtl: 0 });
    expect(s.at((v) => v.size())).toBe(0);
  });

  it("activeExpire removes due keys only, with events", () => {
    const s = threeKeys();
    expect(s.repo.activeExpire(T0 + 11, 10)).toEqual({ sampled: 1, expired: 1 });
    expect(s.repo.activeExpire(T0 + 11, 10)).toEqual({ sampled: 0, expired: 0 });
    expect(s.events.map((e) => e.key)).toEqual(["gone"]);
    expect(s.repo.activeExpire(T0 + 101, 10)).toEqual({ sampled: 1, expired: 1 });
    expect(s.repo.stats()).toMatchObject({ keys: 1, keysWithTtl: 0, expiredKeys: 2 });
  });

  it.each([
    { name: "batches of 1", sample: 1 },
    { name: "batches of 16", sample: 16 },
    { name: "one batch past the reused array's bound", sample: 5000 },
  ])("activeExpire over many keys, a re-entrant sweep from the expired event ($name)", ({ sample }) => {
    // The due-key array is reused between calls: an `expired` listener that sweeps again (nested)
    // must neither lose nor repeat keys, and no call may skip a due key.
    let nested = 0;
    let repo: MapRepository | undefined;
    const expiredKeys: Bytes[] = [];
    repo = new MapRepository({
      notify: (_cls, event, key) => {
        if (event !== "expired") return;
        expiredKeys.push(key);
        if (expiredKeys.length % 97 === 1) nested += repo?.activeExpire(T0 + 1000, 40).expired ?? 0;
      },
    });
    const n = 3000;
    repo.atomic(null, T0, (v) => {
      for (let i = 0; i < n; i++) {
        v.put(`k${i}`, "v");
        v.setExpireAt(`k${i}`, T0 + 10 + (i % 50));
      }
      v.put("keep", "v");
      v.setExpireAt("keep", T0 + 5000);
    });
    let sampled = 0;
    for (;;) {
      const r = repo.activeExpire(T0 + 1000, sample);
      sampled += r.sampled;
      if (r.sampled < sample) break;
    }
    expect(nested > 0).toBe(sample < n); // one big batch pops every key before any event
    expect(new Set(expiredKeys).size).toBe(n);
    expect(expiredKeys.length).toBe(n);
    expect(sampled + nested).toBe(n);
    expect(repo.stats()).toMatchObject({ keys: 1, keysWithTtl: 1, expiredKeys: n });
  });
});

describe("MapRepository: WATCH", () => {
  it.each<{ name: string; change: (s: ReturnType<typeof setup>) => void; changed: boolean }>([
    { name: "nothing", change: () => {}, changed: false },
    { name: "a read", change: (s) => s.at((v) => v.lookup("w")), changed: false },
    { name: "put", change: (s) => s.at((v) => v.put("w", "2")), changed: true },
    { name: "touch", change: (s) => s.at((v) => v.touch("w")), changed: true },
    { name: "remove", change: (s) => s.at((v) => v.remove("w")), changed: true },
    { name: "setExpireAt", change: (s) => s.at((v) => v.setExpireAt("w", T0 + 5000)), changed: true },
    { name: "flush", change: (s) => s.at((v) => v.flush()), changed: true },
    { name: "another key", change: (s) => s.at((v) => v.put("other", "x")), changed: false },
    {
      name: "expiry after WATCH",
      change: (s) => {
        s.at((v) => v.setExpireAt("w2", T0 + 10));
        s.setNow(T0 + 11);
      },
      changed: true,
    },
  ])("after $name: changed() = $changed", ({ change, changed }) => {
    const s = setup();
    s.at((v) => {
      v.put("w", "1");
      v.put("w2", "1");
    });
    const h = s.repo.watch(["w", "w2"], T0);
    change(s);
    expect(s.at(() => h.changed())).toBe(changed);
    h.release();
  });

  it("does not count a key already expired at WATCH time as changed", () => {
    const s = setup();
    s.at((v) => {
      v.put("e", "1");
      v.setExpireAt("e", T0 + 5);
    });
    s.setNow(T0 + 6);
    const h = s.repo.watch(["e"], T0 + 6);
    expect(s.at(() => h.changed())).toBe(false);
    h.release();
  });

  it("flush does not mark a watched key that does not exist (as Redis)", () => {
    const s = setup();
    s.at((v) => v.put("x", "1"));
    const h = s.repo.watch(["missing"], T0);
    s.at((v) => v.flush());
    expect(s.at(() => h.changed())).toBe(false);
  });

  it("release is idempotent and leaves other handles on the same key working", () => {
    const s = setup();
    s.at((v) => v.put("k", "1"));
    const a = s.repo.watch(["k"], T0);
    const b = s.repo.watch(["k"], T0);
    a.release();
    a.release();
    s.at((v) => v.put("k", "2"));
    expect(s.at(() => b.changed())).toBe(true);
    b.release();
    // A new watch after every handle was released starts clean.
    const c = s.repo.watch(["k"], T0);
    expect(s.at(() => c.changed())).toBe(false);
    c.release();
  });
});

describe("MapRepository: SCAN", () => {
  it.each([
    { name: "pages of 10", count: 10 },
    { name: "pages of 7", count: 7 },
  ])("returns every key present for the whole scan exactly once under churn ($name)", ({ count }) => {
    const s = setup();
    const rnd = seededRandom(11);
    const stable = new Set<Bytes>();
    const churn: Bytes[] = [];
    s.at((v) => {
      for (let i = 0; i < 2000; i++) {
        const key = `s:${i}`;
        v.put(key, "x");
        if (i % 3 === 0) churn.push(key);
        else stable.add(key);
      }
    });
    const seen = new Map<Bytes, number>();
    let cursor = "0";
    let nextNew = 0;
    let pages = 0;
    do {
      const page = s.at((v) => v.scan(cursor, count, {}));
      for (const k of page.keys) seen.set(k, (seen.get(k) ?? 0) + 1);
      cursor = page.cursor;
      s.at((v) => {
        // Delete some churn keys, insert new ones, re-insert some deleted ones.
        for (let j = 0; j < 3 && churn.length > 0; j++) {
          const k = churn.splice(Math.floor(rnd() * churn.length), 1)[0] as Bytes;
          v.remove(k);
          if (rnd() < 0.3) v.put(k, "again");
        }
        for (let j = 0; j < 3; j++) v.put(`new:${nextNew++}`, "x");
      });
      pages++;
    } while (cursor !== "0" && pages < 10_000);
    expect(cursor).toBe("0");
    for (const k of stable) expect(seen.get(k)).toBe(1);
    expect(pages).toBeGreaterThan(2000 / count);
  });

  it("filters by MATCH and TYPE; an unknown cursor is an error", () => {
    const s = setup();
    s.at((v) => {
      v.put("user:1", "a");
      v.put("user:2", fakeList(2));
      v.put("post:1", "b");
    });
    const keys = (filter: Parameters<KeyspaceView["scan"]>[2]) =>
      [...s.at((v) => v.scan("0", 100, filter).keys)].sort();
    expect(keys({ match: "user:*" })).toEqual(["user:1", "user:2"]);
    expect(keys({ type: "string" })).toEqual(["post:1", "user:1"]);
    expect(keys({ match: "user:*", type: "list" })).toEqual(["user:2"]);
    expect(() => s.at((v) => v.scan("12345", 10, {}))).toThrow(StoreError);
    const page = s.at((v) => v.scan("0", 1, {}));
    expect(page.cursor).not.toBe("0");
    s.at((v) => v.scan(page.cursor, 1, {}));
    // A cursor is consumed when used; reusing it is invalid.
    expect(() => s.at((v) => v.scan(page.cursor, 1, {}))).toThrow(/invalid cursor/);
  });
});
