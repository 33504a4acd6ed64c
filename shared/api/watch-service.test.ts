import { Code, ConnectError, createClient, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { EventClass, type WatchResponse, WatchService } from "../gen/memorabilia/v1/watch_service_pb.js";
import { createManualClock } from "../store/clock.js";
import { createStore, type Store } from "../store/store.js";
import type { StreamingOptions } from "./streaming-options.js";
import { createWatchService } from "./watch-service.js";

const T0 = 1_700_000_000_000;

function setup(options: StreamingOptions = {}) {
  const clock = createManualClock(T0);
  const store = createStore({ clock });
  const transport = createRouterTransport((router) =>
    router.service(WatchService, createWatchService(store, { logger: { error: () => {} }, ...options })),
  );
  return { clock, store, client: createClient(WatchService, transport) };
}

/** Waits (a few event-loop turns at most) until `cond` holds. */
async function until(cond: () => boolean, what = "condition"): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Reader = AsyncIterator<WatchResponse>;

/** The next message, failing the test rather than hanging. */
async function next(it: Reader): Promise<WatchResponse> {
  const r = await Promise.race([
    it.next(),
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no message within 2 s")), 2_000)),
  ]);
  if (r.done) throw new Error("stream ended");
  return r.value;
}

/** Reads the snapshot to its last page; returns its keys. */
async function readSnapshot(it: Reader): Promise<string[]> {
  const keys: string[] = [];
  for (;;) {
    const m = await next(it);
    if (m.kind.case !== "snapshot") throw new Error(`expected a snapshot page, got ${m.kind.case}`);
    keys.push(...m.kind.value.keys.map((k) => k.key));
    if (m.kind.value.last) return keys;
  }
}

/** Reads event messages until `n` events arrived; returns `event:key` strings. */
async function readEvents(it: Reader, n: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < n) {
    const m = await next(it);
    if (m.kind.case === "events") out.push(...m.kind.value.events.map((e) => `${e.event}:${e.key}`));
  }
  return out;
}

function open(
  client: ReturnType<typeof setup>["client"],
  req: Parameters<typeof client.watch>[0],
  signal?: AbortSignal,
): Reader {
  return client.watch(req, { signal })[Symbol.asyncIterator]();
}

const run = (store: Store, ...argv: string[]) => store.execSync(argv);

describe("WatchService.Watch", () => {
  it("sees set, del and expired (sweep after the clock passes the deadline)", async () => {
    const { store, client, clock } = setup();
    const it = open(client, { pattern: "user:*", snapshot: true });
    expect(await readSnapshot(it)).toEqual([]);
    run(store, "SET", "user:1", "a");
    run(store, "SET", "other", "x");
    run(store, "DEL", "user:1");
    run(store, "SET", "user:2", "b", "PX", "100");
    clock.advance(150);
    await store.sweep();
    expect(await readEvents(it, 5)).toEqual([
      "set:user:1",
      "del:user:1",
      "set:user:2",
      "expire:user:2",
      "expired:user:2",
    ]);
    await it.return?.();
  });

  it("carries the class and the time of each event", async () => {
    const { store, client, clock } = setup();
    const it = open(client, { snapshot: true });
    await readSnapshot(it);
    clock.advance(7);
    run(store, "RPUSH", "q", "a");
    const m = await next(it);
    expect(m.kind.case).toBe("events");
    if (m.kind.case !== "events") return;
    expect(m.kind.value.events).toMatchObject([
      { event: "rpush", key: "q", class: EventClass.LIST, atMs: BigInt(T0 + 7) },
    ]);
    await it.return?.();
  });

  it.each<[string, { events?: string[]; classes?: EventClass[] }, string[]]>([
    ["event names", { events: ["del"] }, ["del:k1"]],
    ["classes", { classes: [EventClass.LIST] }, ["lpush:l"]],
    ["both", { events: ["set", "lpush"], classes: [EventClass.STRING] }, ["set:k1", "set:last"]],
  ])("filters by %s", async (_, filter, expected) => {
    const { store, client } = setup();
    const it = open(client, { snapshot: true, ...filter });
    await readSnapshot(it);
    run(store, "SET", "k1", "v");
    run(store, "LPUSH", "l", "x");
    run(store, "DEL", "k1");
    run(store, "SET", "last", "v");
    // Everything was queued before the stream resumed, so it arrives as one message.
    expect(await readEvents(it, 1)).toEqual(expected);
    await it.return?.();
  });

  it("rejects an unknown event class with INVALID_ARGUMENT", async () => {
    const { client } = setup();
    const it = open(client, { classes: [99 as EventClass] });
    await expect(next(it)).rejects.toMatchObject({ code: Code.InvalidArgument });
  });

  it("snapshot then live, with no gap: pages end with `last`, changes made while reading show up", async () => {
    const { store, client } = setup();
    for (let i = 0; i < 250; i++) run(store, "SET", `k:${i}`, "v".repeat(i % 7));
    run(store, "RPUSH", "k:list", "a", "b");
    run(store, "SET", "skip", "v");
    const it = open(client, { pattern: "k:*", snapshot: true, snapshotPageSize: 100 });
    const first = await next(it);
    expect(first.kind.case).toBe("snapshot");
    if (first.kind.case !== "snapshot") return;
    expect(first.kind.value.last).toBe(false);
    // Changes while the snapshot is being read: a new key, a deletion.
    run(store, "SET", "k:new", "v");
    run(store, "DEL", "k:0");
    const rest = await readSnapshot(it);
    const snap = new Set([...first.kind.value.keys.map((k) => k.key), ...rest]);
    for (let i = 1; i < 250; i++) expect(snap.has(`k:${i}`)).toBe(true);
    expect(snap.has("k:list")).toBe(true);
    expect(snap.has("skip")).toBe(false);
    // Live events follow: the changes made during the snapshot arrive whatever the snapshot showed.
    expect(await readEvents(it, 2)).toEqual(["set:k:new", "del:k:0"]);
    const info = first.kind.value.keys.find((k) => k.key === "k:list");
    if (info !== undefined) expect(info.size).toBe(2n);
    await it.return?.();
  });

  it("snapshot pages carry type, TTL and size", async () => {
    const { store, client } = setup();
    run(store, "SET", "s", "hello", "PX", "5000");
    run(store, "HSET", "h", "f1", "a", "f2", "b");
    const it = open(client, { snapshot: true });
    const m = await next(it);
    if (m.kind.case !== "snapshot") throw new Error("expected a snapshot");
    const byKey = Object.fromEntries(m.kind.value.keys.map((k) => [k.key, k]));
    expect(byKey.s?.size).toBe(5n);
    expect(byKey.s?.ttl).toMatchObject({ status: TtlStatus.EXPIRES, ttlMs: 5000n, atMs: BigInt(T0 + 5000) });
    expect(byKey.h?.size).toBe(2n);
    expect(byKey.h?.ttl?.status).toBe(TtlStatus.NO_EXPIRY);
    expect(m.kind.value.last).toBe(true);
    await it.return?.();
  });

  it("include_ttl attaches the new TTL to set and expire events (and none to others)", async () => {
    const { store, client } = setup();
    const it = open(client, { snapshot: true, includeTtl: true });
    await readSnapshot(it);
    run(store, "SET", "a", "1", "PX", "3000");
    run(store, "SET", "b", "1");
    run(store, "DEL", "b");
    const events = [];
    while (events.length < 4) {
      const m = await next(it);
      if (m.kind.case === "events") events.push(...m.kind.value.events);
    }
    expect(events.map((e) => [e.event, e.ttl?.status])).toEqual([
      ["set", TtlStatus.EXPIRES],
      ["expire", TtlStatus.EXPIRES],
      ["set", expect.any(Number)], // b: read after DEL ran (NO_EXPIRY); its del event follows
      ["del", undefined],
    ]);
    expect(events[0]?.ttl?.atMs).toBe(BigInt(T0 + 3000));
    await it.return?.();
  });

  it("sends heartbeats on an idle stream, at the (clamped) interval the client asked for", async () => {
    const { client, clock } = setup({ heartbeatMinMs: 10 });
    const it = open(client, { heartbeatMs: 1 }); // raised to 10 ms
    clock.advance(42);
    const m = await next(it);
    expect(m.kind).toEqual({ case: "heartbeat", value: expect.objectContaining({ atMs: BigInt(T0 + 42) }) });
    expect((await next(it)).kind.case).toBe("heartbeat");
    await it.return?.();
  });

  it("aborting the call unsubscribes (subscriberCount back to 0), even with the stream parked", async () => {
    const { store, client } = setup();
    const ac = new AbortController();
    const it = open(client, { snapshot: true }, ac.signal);
    await readSnapshot(it);
    expect(store.events.subscriberCount).toBe(1);
    run(store, "SET", "x", "1"); // queued, never read
    ac.abort();
    await until(() => store.events.subscriberCount === 0, "unsubscribe");
    await expect(it.next()).rejects.toBeInstanceOf(ConnectError);
  });

  it("a deadline ends the stream with DEADLINE_EXCEEDED and unsubscribes", async () => {
    const { store, client } = setup();
    const it = client.watch({ snapshot: true }, { timeoutMs: 30 })[Symbol.asyncIterator]();
    await readSnapshot(it);
    expect(store.events.subscriberCount).toBe(1);
    await expect(next(it)).rejects.toMatchObject({ code: Code.DeadlineExceeded });
    expect(store.events.subscriberCount).toBe(0);
  });

  it("a slow consumer is cut with RESOURCE_EXHAUSTED and unsubscribed at once", async () => {
    const { store, client } = setup({ maxQueuedEvents: 10 });
    const it = open(client, { snapshot: true });
    await readSnapshot(it);
    for (let i = 0; i < 50; i++) run(store, "SET", `k${i}`, "v");
    // Dropped on overflow at the fan-out's flush (after the writes' turn), before the client reads.
    await until(() => store.events.subscriberCount === 0, "the watcher to be dropped");
    let error: unknown;
    try {
      for (let i = 0; i < 5; i++) await next(it);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as ConnectError).code).toBe(Code.ResourceExhausted);
    expect((error as ConnectError).rawMessage).toMatch(/^watch fell behind/);
  });

  it("delivers events of a committed transaction, none of a rolled-back one", async () => {
    const { store, client } = setup();
    const it = open(client, { snapshot: true });
    await readSnapshot(it);
    await expect(
      store.transaction([
        ["SET", "t", "1"],
        ["LPUSH", "t", "x"],
      ]),
    ).rejects.toMatchObject({ code: "WRONGTYPE" });
    await store.transaction([
      ["SET", "t", "2"],
      ["INCR", "t"],
    ]);
    expect(await readEvents(it, 2)).toEqual(["set:t", "incrby:t"]);
    await it.return?.();
  });
});
