import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { createEmbeddedTransport } from "../../../shared/edge/embedded.js";
import { KeyTtlSchema, KeyType, TtlStatus } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import {
  EventClass,
  type KeyspaceEvent,
  KeyspaceEventSchema,
} from "../../../shared/gen/memorabilia/v1/watch_service_pb.js";
import { createTestStore } from "../../../shared/store/testing.js";
import { createClients } from "../api/clients.js";
import { escapeGlob, KeyBrowser, MAX_SCAN_COUNT, patternOf, SCAN_COUNT } from "./key-browser.js";

/** A browser over a real store in-process (manual clock), with `n` string keys `k:0…`. */
function setup(n = 0) {
  const t = createTestStore();
  for (let i = 0; i < n; i++) t.ok("SET", `k:${i}`, "v");
  const clients = createClients(createEmbeddedTransport(t.store));
  const browser = new KeyBrowser(clients, () => t.clock.now());
  return { ...t, browser };
}

const ev = (event: string, key: string, cls = EventClass.STRING, ttlMs?: number): KeyspaceEvent =>
  create(KeyspaceEventSchema, {
    event,
    key,
    class: cls,
    ...(ttlMs === undefined ? {} : { ttl: create(KeyTtlSchema, { status: TtlStatus.EXPIRES, ttlMs: BigInt(ttlMs) }) }),
  });
const keysOf = (b: KeyBrowser) => b.rows().map((r) => r.key);

describe("KeyBrowser paging", () => {
  it("loads a small keyspace in one load and reports it complete", async () => {
    const { browser, ok, clock } = setup(3);
    ok("EXPIRE", "k:1", "60");
    await browser.reset();
    expect(browser.done).toBe(true);
    expect(browser.cursor).toBe("0");
    expect(browser.size).toBe(3);
    expect(browser.total).toBe(3);
    expect(browser.scanned).toBe(3); // exact once complete
    expect(new Set(keysOf(browser))).toEqual(new Set(["k:0", "k:1", "k:2"]));
    expect(browser.get("k:1")?.deadline).toBe(clock.now() + 60_000);
    expect(browser.get("k:0")).toMatchObject({ type: KeyType.STRING, deadline: null, size: 1, liveAt: 0 });
    expect(await browser.loadMore()).toBeNull(); // nothing left
  });

  it("pages a big keyspace: a load stops after about a page of rows, the next one continues", async () => {
    const { browser } = setup(1200);
    await browser.reset();
    expect(browser.done).toBe(false);
    expect(browser.size).toBeGreaterThanOrEqual(200);
    expect(browser.size).toBeLessThan(1200);
    expect(browser.scanned).toBe(Math.min(browser.scanCalls * SCAN_COUNT, 1200));
    expect(browser.total).toBe(1200);
    let loads = 1;
    const first = browser.size;
    let added = 0;
    while (!browser.done) {
      added += (await browser.loadMore()) ?? 0;
      loads++;
    }
    // Each load reports the rows it added: together, the rest of the keyspace.
    expect(added).toBe(1200 - first);
    expect(loads).toBeGreaterThan(1);
    expect(browser.size).toBe(1200);
    expect(browser.scanned).toBe(1200);
    expect(new Set(keysOf(browser)).size).toBe(1200); // no duplicates
  });

  it.each<[string, { pattern: string; type: KeyType }, string[]]>([
    ["a glob", { pattern: "user:*", type: KeyType.UNSPECIFIED }, ["user:1", "user:2"]],
    ["a type", { pattern: "", type: KeyType.HASH }, ["h"]],
    ["both", { pattern: "user:*", type: KeyType.LIST }, ["user:2"]],
    ["no match", { pattern: "nope*", type: KeyType.UNSPECIFIED }, []],
  ])("filters by %s", async (_, filter, expected) => {
    const { browser, ok } = setup();
    ok("SET", "user:1", "a");
    ok("RPUSH", "user:2", "x", "y");
    ok("HSET", "h", "f", "v");
    await browser.reset(filter);
    expect(keysOf(browser).sort()).toEqual(expected);
    expect(browser.filter).toEqual(filter);
  });

  it("a reset supersedes a load still running: the old load's page is dropped", async () => {
    const { browser, ok } = setup();
    ok("SET", "a:1", "x");
    ok("SET", "b:1", "x");
    const first = browser.reset({ pattern: "a:*", type: KeyType.UNSPECIFIED });
    const second = browser.reset({ pattern: "b:*", type: KeyType.UNSPECIFIED });
    await Promise.all([first, second]);
    expect(keysOf(browser)).toEqual(["b:1"]);
    expect(browser.loading).toBe(false);
  });

  it("notifies subscribers on changes until unsubscribed", async () => {
    const { browser } = setup(2);
    let calls = 0;
    const off = browser.subscribe(() => calls++);
    await browser.reset();
    expect(calls).toBeGreaterThanOrEqual(2); // reset, loading, loaded
    off();
    const before = calls;
    browser.forget("k:0");
    expect(calls).toBe(before);
    expect(browser.get("k:0")).toBeUndefined();
  });
});

describe("KeyBrowser live merge", () => {
  it.each<[string, KeyspaceEvent[], string[]]>([
    ["a new key is listed first", [ev("set", "new")], ["new", "k:0", "k:1"]],
    ["two new keys", [ev("set", "n1"), ev("hset", "n2", EventClass.HASH)], ["n2", "n1", "k:0", "k:1"]],
    ["del removes", [ev("del", "k:0", EventClass.GENERIC)], ["k:1"]],
    ["expired removes", [ev("expired", "k:1", EventClass.GENERIC)], ["k:0"]],
    ["rename_from removes", [ev("rename_from", "k:1", EventClass.GENERIC)], ["k:0"]],
    [
      "expire of an unlisted key lists it (it exists: a coalesced SET + EXPIRE comes as expire)",
      [ev("expire", "zz", EventClass.GENERIC, 5000)],
      ["zz", "k:0", "k:1"],
    ],
    ["a TTL already past removes", [ev("set", "k:0", EventClass.STRING, 0)], ["k:1"]],
  ])("%s", async (_, events, expected) => {
    const { browser } = setup(2);
    await browser.reset();
    browser.applyEvents(events);
    expect(new Set(keysOf(browser))).toEqual(new Set(expected));
    // Keys added live come before scanned ones.
    const live = expected.filter((k) => !k.startsWith("k:")).length;
    expect(
      keysOf(browser)
        .slice(0, live)
        .every((k) => !k.startsWith("k:")),
    ).toBe(true);
  });

  it("lists live keys newest first, before scanned ones", async () => {
    const { browser, clock } = setup(1);
    await browser.reset();
    browser.applyEvents([ev("set", "a")]);
    clock.advance(10);
    browser.applyEvents([ev("set", "b")]);
    expect(keysOf(browser)).toEqual(["b", "a", "k:0"]);
    expect(browser.get("a")).toMatchObject({ dirty: true, size: -1, type: KeyType.STRING });
  });

  it("marks a listed key dirty and keeps its TTL bookkeeping", async () => {
    const { browser, clock } = setup(1);
    await browser.reset();
    const now = clock.now();
    browser.applyEvents([ev("expire", "k:0", EventClass.GENERIC, 5000)]);
    expect(browser.get("k:0")).toMatchObject({ deadline: now + 5000, dirty: true, type: KeyType.STRING });
    browser.applyEvents([ev("persist", "k:0", EventClass.GENERIC)]);
    expect(browser.get("k:0")?.deadline).toBeNull();
    browser.applyEvents([ev("lpush", "k:0", EventClass.LIST)]);
    expect(browser.get("k:0")?.type).toBe(KeyType.LIST);
  });

  it("a live key of another type than the filter's is not added", async () => {
    const { browser } = setup();
    await browser.reset({ pattern: "", type: KeyType.HASH });
    browser.applyEvents([ev("set", "s"), ev("hset", "h", EventClass.HASH), ev("del", "g", EventClass.GENERIC)]);
    expect(keysOf(browser)).toEqual(["h"]);
  });

  it("does not notify when no event changed anything", async () => {
    const { browser } = setup(1);
    await browser.reset();
    let calls = 0;
    browser.subscribe(() => calls++);
    browser.applyEvents([ev("del", "absent", EventClass.GENERIC), ev("expired", "absent", EventClass.GENERIC)]);
    expect(calls).toBe(0);
  });

  it("refreshDirty re-reads type, TTL and size, and drops keys that are gone", async () => {
    const { browser, ok } = setup();
    await browser.reset();
    ok("RPUSH", "l", "a", "b", "c");
    ok("PEXPIRE", "l", "9000");
    browser.applyEvents([ev("rpush", "l", EventClass.LIST), ev("set", "ghost")]);
    await browser.refreshDirty(["l", "ghost"]);
    expect(browser.get("l")).toMatchObject({ type: KeyType.LIST, size: 3, dirty: false });
    expect(browser.get("l")?.deadline).toBeGreaterThan(0);
    expect(browser.get("ghost")).toBeUndefined();
  });

  it("re-reads only MEMORY USAGE and the size of a row whose type and TTL came with its event", async () => {
    const { ok, clock, store } = createTestStore();
    const clients = createClients(createEmbeddedTransport(store));
    const browser = new KeyBrowser(clients, () => clock.now());
    await browser.reset();
    ok("SET", "s", "abcd");
    ok("RPUSH", "l", "a", "b");
    ok("SET", "gone", "x");
    ok("SET", "plain", "xyz");
    const sent: string[][] = [];
    const batch = clients.transaction.batch.bind(clients.transaction);
    clients.transaction.batch = (...args: Parameters<typeof batch>) => {
      for (const c of args[0].commands ?? [])
        if (c.kind?.case === "raw") sent.push((c.kind.value.args ?? []).map((a) => new TextDecoder().decode(a)));
      return batch(...args);
    };
    // Coalesced events carry the class and the TTL read at their send: nothing to ask again.
    browser.applyEvents([
      ev("set", "s", EventClass.STRING, 5000),
      ev("rpush", "l", EventClass.LIST, 7000),
      ev("set", "gone", EventClass.STRING, 1000),
      ev("set", "plain"), // no TTL with it: type and TTL are read
    ]);
    ok("DEL", "gone"); // its del event has not arrived yet
    await browser.refreshDirty(["s", "l", "gone", "plain"]);
    expect(sent.map((c) => c.join(" "))).toEqual([
      "MEMORY USAGE s",
      "STRLEN s",
      "MEMORY USAGE l",
      "LLEN l",
      "MEMORY USAGE gone",
      "STRLEN gone",
      "TYPE plain",
      "PTTL plain",
      "MEMORY USAGE plain",
      "STRLEN plain",
    ]);
    expect(browser.get("s")).toMatchObject({ type: KeyType.STRING, size: 4, deadline: clock.now() + 5000 });
    expect(browser.get("s")?.memory).toBeGreaterThan(0);
    expect(browser.get("l")).toMatchObject({ type: KeyType.LIST, size: 2, deadline: clock.now() + 7000 });
    expect(browser.get("gone")).toBeUndefined();
    expect(browser.get("plain")).toMatchObject({ size: 3, deadline: null });
    // The next re-read without a new event asks for everything again.
    browser.applyEvents([ev("del", "nothing", EventClass.GENERIC)]);
    (browser.get("s") as { dirty: boolean }).dirty = true;
    sent.length = 0;
    await browser.refreshDirty(["s"]);
    expect(sent.map((c) => c[0])).toEqual(["TYPE", "PTTL", "MEMORY", "STRLEN"]);
  });

  it("refreshDirty takes at most `limit` keys, only those asked for (the rows in view)", async () => {
    const { browser, ok } = setup();
    await browser.reset();
    for (const k of ["a", "b", "c"]) ok("SET", k, "xyz");
    browser.applyEvents(["a", "b", "c"].map((k) => ev("set", k)));
    await browser.refreshDirty(["c", "b"], { limit: 1 });
    expect(["a", "b", "c"].map((k) => browser.get(k)?.dirty)).toEqual([true, true, false]);
    expect(browser.get("c")?.size).toBe(3);
    await browser.refreshDirty(["c", "b"]);
    expect(["a", "b", "c"].map((k) => browser.get(k)?.dirty)).toEqual([true, false, false]);
  });

  it("refreshDirty re-reads a changed row at most once per `every` ms; a key never read at once", async () => {
    const { ok, clock, store } = createTestStore();
    for (const k of ["k:0", "k:1"]) ok("SET", k, "v");
    const clients = createClients(createEmbeddedTransport(store));
    let batches = 0;
    const batch = clients.transaction.batch.bind(clients.transaction);
    clients.transaction.batch = (...args: Parameters<typeof batch>) => {
      batches++;
      return batch(...args);
    };
    const browser = new KeyBrowser(clients, () => clock.now());
    await browser.reset();
    // Scanned rows were just read: a write to one waits out `every` from that read.
    ok("SET", "k:0", "longer");
    browser.applyEvents([ev("set", "k:0")]);
    await browser.refreshDirty(["k:0", "k:1"], { every: 1000 });
    expect(batches).toBe(0);
    expect(browser.get("k:0")).toMatchObject({ dirty: true, size: 1 });
    // A key added live is read at once, whatever `every`.
    ok("SET", "new", "abc");
    browser.applyEvents([ev("set", "new")]);
    await browser.refreshDirty(["new", "k:0"], { every: 1000 });
    expect(batches).toBe(1);
    expect(browser.get("new")).toMatchObject({ dirty: false, size: 3 });
    expect(browser.get("k:0")?.dirty).toBe(true);
    clock.advance(1000);
    await browser.refreshDirty(["new", "k:0"], { every: 1000 });
    expect(batches).toBe(2);
    expect(browser.get("k:0")).toMatchObject({ dirty: false, size: 6 });
    // Written again at once: waits a full interval again (the writer's rate does not matter).
    for (let i = 0; i < 50; i++) {
      ok("SET", "k:0", "x".repeat(i));
      browser.applyEvents([ev("set", "k:0")]);
      await browser.refreshDirty(["k:0"], { every: 1000 });
    }
    expect(batches).toBe(2);
  });

  it("refreshDirty lets a row whose type and TTL came with its event wait `everyKnown`, others `every`", async () => {
    const { ok, clock, store } = createTestStore();
    for (const k of ["known", "plain"]) ok("SET", k, "v");
    const clients = createClients(createEmbeddedTransport(store));
    const read: string[] = [];
    const batch = clients.transaction.batch.bind(clients.transaction);
    clients.transaction.batch = (...args: Parameters<typeof batch>) => {
      for (const c of args[0].commands ?? [])
        if (c.kind?.case === "raw") read.push(new TextDecoder().decode(c.kind.value.args?.at(-1)));
      return batch(...args);
    };
    const browser = new KeyBrowser(clients, () => clock.now());
    await browser.reset();
    const write = () => {
      ok("SET", "known", "longer");
      ok("SET", "plain", "longer");
      // A coalesced event carries the class and the TTL; the other event neither.
      browser.applyEvents([ev("set", "known", EventClass.STRING, 5000), ev("set", "plain")]);
    };
    write();
    clock.advance(1000);
    await browser.refreshDirty(["known", "plain"], { every: 1000, everyKnown: 3000 });
    expect([...new Set(read)]).toEqual(["plain"]);
    expect(browser.get("known")).toMatchObject({ dirty: true, size: 1 });
    read.length = 0;
    clock.advance(2000); // 3 s since the scan read both
    write();
    await browser.refreshDirty(["known", "plain"], { every: 1000, everyKnown: 3000 });
    expect([...new Set(read)]).toEqual(["known", "plain"]);
    expect(browser.get("known")).toMatchObject({ dirty: false, size: 6 });
    // Without `everyKnown`, every row waits `every` (as before).
    read.length = 0;
    clock.advance(1000);
    write();
    await browser.refreshDirty(["known", "plain"], { every: 1000 });
    expect([...new Set(read)]).toEqual(["known", "plain"]);
  });

  it("refreshes dirty keys in one Batch call (type, TTL, size, memory); a changed type costs one more", async () => {
    const t = createTestStore();
    const clients = createClients(createEmbeddedTransport(t.store));
    let batches = 0;
    const batch = clients.transaction.batch.bind(clients.transaction);
    clients.transaction.batch = (...args: Parameters<typeof batch>) => {
      batches++;
      return batch(...args);
    };
    const browser = new KeyBrowser(clients, () => t.clock.now());
    for (let i = 0; i < 30; i++) t.ok("SET", `s:${i}`, "x".repeat(i));
    t.ok("SET", "turns", "abc");
    await browser.reset();
    t.ok("DEL", "turns");
    t.ok("RPUSH", "turns", "a", "b");
    browser.applyEvents([...Array.from({ length: 30 }, (_, i) => ev("set", `s:${i}`)), ev("set", "turns")]);
    batches = 0;
    const all = () => browser.rows().map((r) => r.key);
    await browser.refreshDirty(all());
    expect(batches).toBe(2); // one for all 31 keys, one for the size of the key that became a list
    expect(browser.get("s:7")).toMatchObject({ size: 7, dirty: false });
    expect(browser.get("s:7")?.memory).toBeGreaterThan(0);
    expect(browser.get("turns")).toMatchObject({ type: KeyType.LIST, size: 2 });
    browser.applyEvents(Array.from({ length: 30 }, (_, i) => ev("set", `s:${i}`)));
    batches = 0;
    await browser.refreshDirty(all());
    expect(batches).toBe(1);
    expect(await browser.readMemory(browser.rows().map((r) => r.key))).toBe(0); // already read
  });

  it("touch lists a key written here at the top and reads it", async () => {
    const { browser, ok } = setup(1);
    await browser.reset();
    ok("SADD", "mine", "m");
    browser.touch("mine");
    expect(keysOf(browser)[0]).toBe("mine");
    await browser.refreshKey("mine");
    expect(browser.get("mine")).toMatchObject({ type: KeyType.SET, size: 1 });
  });
});

describe("KeyBrowser TTL bookkeeping", () => {
  it("deadlines are local: now + TTL when read, and keys leave when it passes", async () => {
    const { browser, ok, clock } = setup();
    ok("SET", "short", "v", "PX", "1500");
    ok("SET", "long", "v", "EX", "60");
    ok("SET", "forever", "v");
    const start = clock.now();
    await browser.reset();
    expect(browser.get("short")?.deadline).toBe(start + 1500);
    expect(browser.get("long")?.deadline).toBe(start + 60_000);
    expect(browser.expireDue(start + 1499)).toBe(false);
    expect(browser.size).toBe(3);
    expect(browser.expireDue(start + 1500)).toBe(true);
    expect(keysOf(browser).sort()).toEqual(["forever", "long"]);
    clock.advance(60_000);
    expect(browser.expireDue()).toBe(true); // defaults to the injected clock
    expect(keysOf(browser)).toEqual(["forever"]);
  });
});

describe("KeyBrowser: finding sparse keys", () => {
  it("a filter matching one key in 20k keeps scanning (COUNT growing) until it is found", async () => {
    const { browser, ok } = setup(20_000);
    ok("SET", "needle:1", "v");
    await browser.reset({ pattern: "needle:*", type: KeyType.UNSPECIFIED });
    expect(keysOf(browser)).toEqual(["needle:1"]);
    expect(browser.done).toBe(true);
    expect(browser.scanned).toBe(20_001);
    expect(browser.count).toBeGreaterThan(SCAN_COUNT);
    expect(browser.count).toBeLessThanOrEqual(MAX_SCAN_COUNT);
    expect(browser.scanCalls).toBeLessThan(20); // not 40 calls of 500
  });

  it("stop() ends a load after its current call; loadMore goes on from there", async () => {
    const { browser } = setup(5000);
    const load = browser.reset({ pattern: "nothing:*", type: KeyType.UNSPECIFIED });
    browser.stop();
    await load;
    expect(browser.done).toBe(false);
    expect(browser.scanCalls).toBeLessThanOrEqual(1);
    await browser.loadMore();
    expect(browser.done).toBe(true);
  });

  it("`also` narrows a scan with a second glob, checked in the page", async () => {
    const { browser, ok } = setup(0);
    ok("SET", "user:1:name", "v");
    ok("SET", "user:1:session", "v");
    ok("SET", "user:2:session", "v");
    await browser.reset({ pattern: "user:1:*", type: KeyType.UNSPECIFIED, also: ["*session*"] });
    expect(keysOf(browser)).toEqual(["user:1:session"]);
  });

  it("plain text means 'contains'; glob characters mean a glob, escapable", () => {
    expect(patternOf("")).toBe("");
    expect(patternOf("session")).toBe("*session*");
    expect(patternOf("user:*")).toBe("user:*");
    expect(patternOf("a\\*b")).toBe("a\\*b");
    expect(escapeGlob("a*b?[c]\\")).toBe("a\\*b\\?\\[c\\]\\\\");
  });
});
