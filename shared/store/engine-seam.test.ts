import { describe, expect, it } from "vitest";
import type { Bytes } from "./bytes.js";
import { installEviction } from "./eviction.js";
import { MapRepository } from "./map-repository.js";
import type { KeyView, RepositoryObserver } from "./repository.js";
import { AwaitedRepository, StagedBackend, StagedRepository } from "./staged-repository.test-helpers.js";
import { createStore } from "./store.js";
import { createTestStore } from "./testing.js";
import type { TransactionError } from "./transaction.js";

/** Records the keys of every atomic call (the Map engine behind an await). */
class KeyRecorder extends AwaitedRepository {
  readonly calls: (readonly Bytes[] | null)[] = [];
  override atomic<T>(keys: readonly Bytes[] | null, nowMs: number, fn: (view: KeyView) => T): Promise<T> {
    this.calls.push(keys === null ? null : [...keys]);
    return super.atomic(keys, nowMs, fn);
  }
}

describe("engine seam: WATCH", () => {
  it("watched keys reach the transaction's atomic call (a remote engine compares their revisions)", async () => {
    const repo = new KeyRecorder();
    const t = createTestStore({ repository: repo });
    const watch = await t.store.watch(["w1", "w2"]);
    expect(watch.keys).toEqual(["w1", "w2"]);
    repo.calls.length = 0;
    await t.store.transaction([["SET", "a", "1"]], watch);
    expect(repo.calls).toEqual([["a", "w1", "w2"]]);
  });

  it("a WATCH on one server is broken by another server's write (two stores, one backend)", async () => {
    const backend = new StagedBackend();
    const a = createTestStore({ repository: new StagedRepository({ backend }) });
    const b = createTestStore({ repository: new StagedRepository({ backend }) });
    await a.store.exec(["SET", "w", "1"]);
    const watch = await a.store.watch(["w"]);
    expect(await b.store.exec(["GET", "w"])).toBe("1");
    await b.store.exec(["INCR", "w"]);
    expect(await a.store.transaction([["SET", "w", "x"]], watch)).toBeNull();
    expect(await a.store.exec(["GET", "w"])).toBe("2");
  });
});

describe("engine seam: compare-and-swap across servers", () => {
  it("2 x 60 concurrent INCRs from two stores on one key give the exact count, through conflicts", async () => {
    const backend = new StagedBackend();
    const ra = new StagedRepository({ backend });
    const rb = new StagedRepository({ backend });
    const a = createStore({ repository: ra });
    const b = createStore({ repository: rb });
    const work: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) work.push(a.exec(["INCR", "n"]), b.exec(["INCR", "n"]));
    const replies = (await Promise.all(work)) as number[];
    expect(await a.exec(["GET", "n"])).toBe("120");
    expect(new Set(replies).size).toBe(120); // every INCR saw a distinct value
    expect(ra.conflicts + rb.conflicts).toBeGreaterThan(0); // the stores really raced
  });

  it("events of every server reach every store once, in commit order (publishesEvents)", async () => {
    const backend = new StagedBackend();
    const a = createTestStore({ repository: new StagedRepository({ backend }) });
    const b = createTestStore({ repository: new StagedRepository({ backend }) });
    await a.store.exec(["SET", "k", "1"]);
    await b.store.exec(["RPUSH", "l", "x"]);
    await a.store.transaction([
      ["INCR", "k"],
      ["DEL", "l"],
    ]);
    const seen = (t: typeof a) => t.events.map((e) => `${e.event} ${e.key}`);
    const want = ["set k", "rpush l", "incrby k", "del l"];
    expect(seen(a)).toEqual(want);
    expect(seen(b)).toEqual(want);
  });

  it("a rolled-back transaction on a staging engine publishes nothing and leaves no write", async () => {
    const t = createTestStore({ repository: new StagedRepository() });
    await t.store.exec(["RPUSH", "l", "a"]);
    t.events.length = 0;
    const error = (await t.store
      .transaction([
        ["RPUSH", "l", "b"],
        ["SET", "s", "1"],
        ["INCR", "l"],
      ])
      .catch((e: unknown) => e)) as TransactionError;
    expect(error.code).toBe("WRONGTYPE");
    expect(await t.store.exec(["LRANGE", "l", "0", "-1"])).toEqual(["a"]);
    expect(await t.store.exec(["EXISTS", "s"])).toBe(0);
    expect(t.events).toEqual([]);
  });
});

describe("engine seam: whole-keyspace commands", () => {
  it("KEYS on a large Map keyspace yields to other clients between pages, and lists every key once", async () => {
    const t = createTestStore();
    for (let i = 0; i < 50_000; i++) t.ok("SET", `k${i}`, "v");
    const pending = t.store.run(["KEYS", "*"]);
    expect(pending).toBeInstanceOf(Promise);
    // Another client's command runs while KEYS is still paging.
    let ranDuring = false;
    const other = new Promise<void>((resolve) =>
      setTimeout(() => {
        t.ok("SET", "other", "1");
        ranDuring = true;
        resolve();
      }, 0),
    );
    const keys = (await pending) as string[];
    await other;
    expect(ranDuring).toBe(true);
    const present = keys.filter((k) => k !== "other");
    expect(present.length).toBe(50_000);
    expect(new Set(present).size).toBe(50_000);
  });

  it("KEYS answers in one turn from execSync and inside MULTI", async () => {
    const t = createTestStore();
    for (let i = 0; i < 30_000; i++) t.ok("SET", `k${i}`, "v");
    expect((t.ok("KEYS", "*") as string[]).length).toBe(30_000);
    const [keys] = (await t.store.transaction([["KEYS", "k1*"]])) as [string[]];
    expect(keys.length).toBe(11_111);
  });

  it("a keyspace read inside MULTI is refused with EXECABORT on an engine without atomicKeyspace", async () => {
    const t = createTestStore({ repository: new StagedRepository({ keyspaceInTransactions: false }) });
    const error = (await t.store
      .transaction([["SET", "a", "1"], ["DBSIZE"]])
      .catch((e: unknown) => e)) as TransactionError;
    expect(error.code).toBe("EXEC_ABORT");
    expect(error.index).toBe(1);
    expect(String((error.cause as Error).message)).toMatch(
      /'dbsize' is not allowed inside a transaction with this storage engine/,
    );
    expect(await t.store.exec(["EXISTS", "a"])).toBe(0);
  });

  it("inside MULTI, keyspace reads see the transaction's own writes (atomicKeyspace)", async () => {
    for (const repository of [new MapRepository(), new StagedRepository()]) {
      const t = createTestStore({ repository });
      await t.store.exec(["SET", "a", "1"]);
      const replies = await t.store.transaction([
        ["SET", "b", "2"],
        ["DBSIZE"],
        ["KEYS", "*"],
        ["DEL", "a"],
        ["DBSIZE"],
      ]);
      expect(replies?.[1]).toBe(2);
      expect([...((replies?.[2] as string[]) ?? [])].sort()).toEqual(["a", "b"]);
      expect(replies?.[4]).toBe(1);
    }
  });

  it("with lockKeyspaceReads off, DBSIZE still follows the writes issued before it", async () => {
    const t = createTestStore({ repository: new StagedRepository() });
    const writes = Array.from({ length: 20 }, (_, i) => t.store.exec(["SET", `k${i}`, "v"]));
    const size = t.store.exec(["DBSIZE"]);
    const later = t.store.exec(["SET", "late", "v"]);
    await Promise.all([...writes, later]);
    expect(await size).toBe(20);
    expect(t.store.locks.idle).toBe(true);
  });

  it("with lockKeyspaceReads off, a slow DBSIZE does not hold up commands issued after it", async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    class SlowCount extends StagedRepository {
      override async countKeys(nowMs: number): Promise<number> {
        const n = await super.countKeys(nowMs); // read at once, answered late
        await gate;
        return n;
      }
    }
    const t = createTestStore({ repository: new SlowCount() });
    await t.store.exec(["SET", "a", "1"]);
    const size = t.store.exec(["DBSIZE"]);
    await t.store.exec(["SET", "b", "2"]); // resolves while DBSIZE is still reading
    open();
    expect(await size).toBe(1);
  });

  it("a SCAN started on one server continues on another (stateless cursors), every key once", async () => {
    const backend = new StagedBackend();
    const a = createStore({ repository: new StagedRepository({ backend }) });
    const b = createStore({ repository: new StagedRepository({ backend }) });
    for (let i = 0; i < 200; i++) await a.exec(["SET", `k${i}`, "v"]);
    const seen: string[] = [];
    let cursor = "0";
    let turn = 0;
    do {
      const [next, keys] = (await (turn++ % 2 === 0 ? a : b).exec(["SCAN", cursor, "COUNT", "7"])) as [
        string,
        string[],
      ];
      seen.push(...keys);
      cursor = next;
    } while (cursor !== "0");
    expect(seen.length).toBe(200);
    expect(new Set(seen).size).toBe(200);
  });
});

describe("engine seam: element cursors", () => {
  it("HSCAN on a remote engine: stateless cursors continue on another server, exactly once under changes", async () => {
    const backend = new StagedBackend();
    const a = createStore({ repository: new StagedRepository({ backend }) });
    const b = createStore({ repository: new StagedRepository({ backend }) });
    const args: string[] = [];
    for (let i = 0; i < 300; i++) args.push(`f${i}`, "v");
    await a.exec(["HSET", "h", ...args]);
    const seen: string[] = [];
    let cursor = "0";
    let turn = 0;
    do {
      const store = turn++ % 2 === 0 ? a : b;
      const [next, flat] = (await store.exec(["HSCAN", "h", cursor, "COUNT", "17"])) as [string, string[]];
      for (let i = 0; i < flat.length; i += 2) seen.push(flat[i] as string);
      // Churn between pages: a field added and one of the extras deleted (the f0..f299 stay).
      await b.exec(["HSET", "h", `extra${turn}`, "v"]);
      await a.exec(["HDEL", "h", `extra${turn - 1}`]);
      cursor = next;
    } while (cursor !== "0");
    const stable = seen.filter((f) => f.startsWith("f"));
    expect(stable.length).toBe(300);
    expect(new Set(stable).size).toBe(300);
  });
});

describe("engine seam: local keyspace capability", () => {
  it("observers are a list: each added one sees changes until removed (removal is idempotent)", () => {
    const t = createTestStore();
    const local = t.store.repository.local;
    if (local === undefined) throw new Error("the Map engine has a local keyspace");
    const seen: string[] = [];
    const observer = (name: string): RepositoryObserver => ({
      touched: (key) => seen.push(`${name} touched ${key}`),
      flushed: () => seen.push(`${name} flushed`),
      accessed: (key) => seen.push(`${name} accessed ${key}`),
    });
    const removeA = local.addObserver(observer("a"));
    const removeB = local.addObserver(observer("b"));
    t.ok("SET", "k", "1");
    expect(seen).toEqual(["a touched k", "b touched k"]);
    removeA();
    removeA();
    seen.length = 0;
    t.ok("GET", "k");
    t.ok("FLUSHALL");
    expect(seen).toEqual(["b accessed k", "b flushed"]);
    removeB();
    seen.length = 0;
    t.ok("SET", "k", "2");
    expect(seen).toEqual([]);
  });

  it("a remote engine has no local keyspace: maxmemory is refused with a clear TypeError", () => {
    const store = createStore({ repository: new StagedRepository() });
    expect(store.repository.local).toBeUndefined();
    expect(() => installEviction(store, { maxBytes: 1000 })).toThrow(/in this process's memory/);
  });

  it("a Map engine given without a notify option reports lazy expiry into the store it is attached to", async () => {
    const repository = new MapRepository();
    const t = createTestStore({ repository });
    t.ok("SET", "k", "v", "PX", "10");
    t.clock.advance(20);
    t.events.length = 0;
    expect(t.ok("GET", "k")).toBeNull();
    expect(t.events.map((e) => `${e.event} ${e.key}`)).toEqual(["expired k"]);
  });
});
