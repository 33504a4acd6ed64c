import { create, fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { KeyTtlSchema, TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { EventClass, KeyspaceEventSchema, WatchResponseSchema } from "../gen/memorabilia/v1/watch_service_pb.js";
import { createManualClock } from "../store/clock.js";
import { createStore } from "../store/store.js";
import { type EventBatch, messageOf, preEncodedResponse, WatchFanout, type WatchFilter } from "./watch-fanout.js";

const T0 = 1_700_000_000_000;
const all: WatchFilter = { pattern: "*", events: [], classes: [], includeTtl: false };
const tick = () => new Promise((r) => setTimeout(r, 5));

function setup() {
  const store = createStore({ clock: createManualClock(T0) });
  // No spacing between flushes: each test controls when they happen (the spacing depends on timing).
  const fanout = new WatchFanout(store, { dutyRatio: 0 });
  const set = (k: string) => store.exec(["SET", k, "v"]);
  return { store, fanout, set };
}

function collect(fanout: WatchFanout, filter: WatchFilter) {
  const batches: EventBatch[] = [];
  const stop = fanout.watch(filter, (b) => batches.push(b));
  const keys = () => batches.flatMap((b) => b.events.map((e) => `${e.event}:${e.key}`));
  return { batches, keys, stop };
}

describe("WatchFanout", () => {
  it("subscribes to the store once for any number of watchers, and leaves when the last goes", () => {
    const { store, fanout } = setup();
    const stops = Array.from({ length: 100 }, (_, i) => fanout.watch({ ...all, pattern: `p${i % 10}:*` }, () => {}));
    expect(store.events.subscriberCount).toBe(1);
    expect(fanout.size).toBe(100);
    expect(fanout.filters).toBe(10);
    for (const stop of stops) {
      stop();
      stop(); // idempotent
    }
    expect(store.events.subscriberCount).toBe(0);
    expect(fanout.filters).toBe(0);
  });

  it("delivers after the writer's turn, in one batch per flush, never during the write", async () => {
    const { fanout, set } = setup();
    const w = collect(fanout, all);
    await set("a");
    await set("b");
    expect(w.batches).toHaveLength(0); // nothing ran on the writer's path
    await tick();
    expect(w.keys()).toEqual(["set:a", "set:b"]);
    expect(w.batches).toHaveLength(1);
    expect(w.batches[0]?.bytes).toBeGreaterThan(0);
  });

  it("encodes each event once: every watcher gets the same message objects, the same filter the same batch", async () => {
    const { fanout, set } = setup();
    const a = collect(fanout, all);
    const b = collect(fanout, all);
    const c = collect(fanout, { ...all, pattern: "k*" });
    await set("k1");
    await tick();
    expect(a.batches[0]).toBe(b.batches[0]);
    expect(c.batches[0]?.events[0]).toBe(a.batches[0]?.events[0]);
  });

  it("filters by literal key, glob, event names and classes", async () => {
    const { store, fanout, set } = setup();
    const literal = collect(fanout, { ...all, pattern: "user:1" });
    const glob = collect(fanout, { ...all, pattern: "user:*" });
    const dels = collect(fanout, { ...all, events: ["del"] });
    const lists = collect(fanout, { ...all, classes: ["list"] });
    await set("user:1");
    await set("user:2");
    await store.exec(["DEL", "user:1"]);
    await store.exec(["RPUSH", "l", "x"]);
    await tick();
    expect(literal.keys()).toEqual(["set:user:1", "del:user:1"]);
    expect(glob.keys()).toEqual(["set:user:1", "set:user:2", "del:user:1"]);
    expect(dels.keys()).toEqual(["del:user:1"]);
    expect(lists.keys()).toEqual(["rpush:l"]);
  });

  it("gives a watcher nothing from before it subscribed, even when the flush comes after", async () => {
    const { fanout, set } = setup();
    const early = collect(fanout, all);
    await set("before");
    const late = collect(fanout, all);
    await set("after");
    await tick();
    expect(early.keys()).toEqual(["set:before", "set:after"]);
    expect(late.keys()).toEqual(["set:after"]);
  });

  it("attaches TTLs once per flush for the watchers that ask", async () => {
    const { store, fanout } = setup();
    const ttl = collect(fanout, { ...all, includeTtl: true });
    const plain = collect(fanout, all);
    await store.exec(["SET", "t", "v", "PX", "5000"]);
    await tick();
    expect(ttl.batches[0]?.events[0]?.ttl?.ttlMs).toBe(5000n);
    expect(plain.batches[0]?.events[0]?.ttl).toBeUndefined();
  });

  it("pre-encoded responses decode to the same events as normal ones, several batches merged in order (protobuf-es upgrade guard)", async () => {
    const { store, fanout, set } = setup();
    const w = collect(fanout, { ...all, includeTtl: true });
    await set("a");
    await tick();
    await store.exec(["SET", "b", "v", "PX", "1000"]);
    await store.exec(["DEL", "a"]);
    await tick();
    expect(w.batches).toHaveLength(2);
    const [one, two] = w.batches as [EventBatch, EventBatch];
    const normal = (events: EventBatch["events"]) =>
      toBinary(WatchResponseSchema, {
        $typeName: "memorabilia.v1.WatchResponse",
        kind: { case: "events", value: { $typeName: "memorabilia.v1.KeyspaceEvents", events: [...events] } },
      });
    // One batch: byte for byte what the normal encoding writes.
    expect(toBinary(WatchResponseSchema, one.response())).toEqual(normal(one.events));
    expect(one.response()).toBe(one.response()); // made once
    // Two batches: one list, in order, TTL included.
    const merged = fromBinary(WatchResponseSchema, toBinary(WatchResponseSchema, preEncodedResponse([one, two])));
    expect(merged.kind.case).toBe("events");
    const events = merged.kind.case === "events" ? merged.kind.value.events : [];
    const show = (e: EventBatch["events"][number]) =>
      `${e.event}:${e.key}:${e.ttl?.status ?? "-"}:${e.ttl?.ttlMs ?? "-"}`;
    expect(events.map(show)).toEqual([...one.events, ...two.events].map(show));
    expect(events.map(show)).toContain(`set:b:${TtlStatus.EXPIRES}:1000`);
    // JSON drops unknown fields: JSON streams must never be sent these.
    expect(toJson(WatchResponseSchema, one.response())).toEqual({});
  });

  it("builds the same messages as create() (plain objects, protobuf-es upgrade guard)", () => {
    const e = { event: "set", key: "k\u00e9", class: EventClass.STRING, atMs: T0 };
    expect(messageOf(e)).toEqual(
      create(KeyspaceEventSchema, { event: "set", key: "k\u00e9", class: EventClass.STRING, atMs: BigInt(T0) }),
    );
    const ttl = create(KeyTtlSchema, { status: TtlStatus.EXPIRES, ttlMs: 5n, atMs: 7n });
    const withTtl = messageOf({ ...e, ttl: { status: TtlStatus.EXPIRES, ttlMs: 5, atMs: 7 } });
    expect(withTtl).toEqual(
      create(KeyspaceEventSchema, { event: "set", key: "k\u00e9", class: EventClass.STRING, atMs: BigInt(T0), ttl }),
    );
    expect(toBinary(KeyspaceEventSchema, withTtl)).toEqual(
      toBinary(KeyspaceEventSchema, create(KeyspaceEventSchema, { ...withTtl, ttl })),
    );
  });

  it("sends a key's bytes as the API's text: UTF-8 decoded, invalid sequences replaced", async () => {
    const { store, fanout } = setup();
    const w = collect(fanout, { ...all, includeTtl: true });
    await store.exec(["SET", new Uint8Array([0x6b, 0xc3, 0xa9]), "v"]); // the UTF-8 bytes of "ké"
    await store.exec(["SET", new Uint8Array([0x62, 0x61, 0x64, 0xff]), "v"]);
    await tick();
    const [batch] = w.batches as [EventBatch];
    const decoded = fromBinary(WatchResponseSchema, toBinary(WatchResponseSchema, batch.response()));
    const keys = decoded.kind.case === "events" ? decoded.kind.value.events.map((e) => e.key) : [];
    expect(keys).toEqual(["k\u00e9", "bad\uFFFD"]);
    expect(batch.events.map((e) => e.key)).toEqual(keys);
    expect(batch.count).toBe(2);
  });

  // Intervals run on fake timers: a loaded host cannot end an interval between two writes of one
  // test step (CI at load 24 did: the 150 awaited SETs outlasted a real 40 ms interval).
  describe("coalescing (coalesceMs)", () => {
    beforeEach(() => {
      vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    });
    afterEach(() => {
      vi.useRealTimers();
    });
    const wait = (ms: number) => vi.advanceTimersByTimeAsync(ms);
    const tick = () => wait(5);

    it("takes no turn per write while every watcher coalesces: one flush per interval, bounded", async () => {
      const store = createStore({ clock: createManualClock(T0) });
      let turns = 0;
      const defer = (fn: () => void) => {
        turns++;
        setTimeout(fn, 0);
      };
      const fanout = new WatchFanout(store, { dutyRatio: 0, defer });
      const c = collect(fanout, { ...all, coalesceMs: 30 });
      for (let i = 0; i < 20; i++) {
        await store.exec(["SET", `k${i}`, "v"]);
        await tick(); // each write in its own turn, as a paced writer's
      }
      await wait(40);
      expect(c.keys().length).toBe(20);
      expect(turns).toBe(0); // was one deferred flush per write
      // A burst takes no turn either: the group holds one entry per key changed, whatever the rate.
      for (let i = 0; i < 5000; i++) store.execSync(["SET", `b${i % 2500}`, "v"]);
      expect(turns).toBe(0);
      await wait(40);
      expect(c.keys().length).toBe(2520);
      // A watcher of every event ends a hold: it gets the next write after the writer's turn.
      const every = collect(fanout, all);
      await store.exec(["SET", "x", "v"]);
      await tick();
      expect(every.keys()).toEqual(["set:x"]);
      await wait(40);
      expect(c.keys().at(-1)).toBe("set:x");
    });

    it("gives watchers that join at different times of one interval only the keys written after each joined", async () => {
      const { store, fanout, set } = setup();
      const first = collect(fanout, { ...all, coalesceMs: 40 });
      await set("a");
      await set("b");
      const second = collect(fanout, { ...all, coalesceMs: 40 });
      await set("b"); // written again after `second` joined: it gets b's last event
      await set("c");
      const third = collect(fanout, { ...all, coalesceMs: 40 });
      await set("d");
      await store.exec(["DEL", "c"]);
      await wait(50);
      expect(first.batches.length).toBe(1);
      expect(first.keys()).toEqual(["set:a", "set:b", "set:d", "del:c"]);
      expect(second.keys()).toEqual(["set:b", "set:d", "del:c"]);
      expect(third.keys()).toEqual(["set:d", "del:c"]);
      // The next interval: every watcher gets every key again, the same batch.
      await set("a");
      await wait(50);
      expect(third.batches.length).toBe(2);
      expect(first.batches[1]).toBe(third.batches[1]);
      expect(second.batches[1]).toBe(third.batches[1]);
    });

    it("sends each changed key once per interval with its last event, however many writes", async () => {
      const { store, fanout, set } = setup();
      const c = collect(fanout, { ...all, coalesceMs: 40 });
      const every = collect(fanout, all);
      for (let round = 0; round < 50; round++) for (const k of ["a", "b", "c"]) await set(k);
      await store.exec(["DEL", "b"]);
      await store.exec(["RPUSH", "l", "x"]);
      await tick();
      expect(every.keys()).toHaveLength(152); // the plain watcher still gets every event
      expect(c.batches).toHaveLength(0); // nothing before the interval ends
      await wait(80);
      expect(c.batches).toHaveLength(1);
      // One event per key, the last of each, in the order of those last events.
      expect(c.keys()).toEqual(["set:a", "set:c", "del:b", "rpush:l"]);
      await set("a");
      await wait(80);
      expect(c.batches).toHaveLength(2);
      expect(c.keys().slice(4)).toEqual(["set:a"]);
    });

    it("attaches each existing key's TTL to its coalesced event, whatever its name", async () => {
      const { store, fanout, set } = setup();
      const c = collect(fanout, { ...all, includeTtl: true, coalesceMs: 20 });
      await store.exec(["RPUSH", "l", "x"]);
      await store.exec(["PEXPIRE", "l", "7000"]);
      await store.exec(["RPUSH", "l", "y"]); // last event: rpush, the key has a TTL
      await set("gone");
      await store.exec(["DEL", "gone"]);
      await wait(60);
      const events = c.batches.flatMap((b) => b.events);
      expect(events.map((e) => `${e.event}:${e.key}`)).toEqual(["rpush:l", "del:gone"]);
      expect(events[0]?.ttl?.status).toBe(TtlStatus.EXPIRES);
      expect(events[0]?.ttl?.ttlMs).toBe(7000n);
      expect(events[1]?.ttl).toBeUndefined();
    });

    it("keeps each key's last event and its TTL across the flushes of one interval (an early flush included)", async () => {
      const { store, fanout } = setup();
      const c = collect(fanout, { ...all, includeTtl: true, coalesceMs: 40 });
      store.execSync(["SET", "k", "v1", "PX", "9000"]);
      store.execSync(["SET", "p", "v", "PX", "5000"]);
      store.execSync(["RPUSH", "gone", "x"]);
      // Past the hold's limit in one turn: an early flush takes these events into the group.
      for (let i = 0; i < 5000; i++) store.execSync(["SET", `b${i % 100}`, "v"]);
      await tick();
      // Later events of the same keys, in a later flush of the same interval: they must win.
      store.execSync(["SET", "k", "v2", "PX", "3000"]);
      store.execSync(["PERSIST", "p"]);
      store.execSync(["DEL", "gone"]);
      store.execSync(["SET", "b7", "v", "PX", "2000"]);
      await wait(80);
      const events = c.batches.flatMap((b) => b.events);
      const byKey = new Map(events.map((e) => [e.key, e]));
      // One event per key and send (a slow host may end the interval between the two turns: then
      // the four rewritten keys come again in a second send, and the later one must be the last).
      for (const b of c.batches) expect(new Set(b.events.map((e) => e.key)).size).toBe(b.count);
      expect(byKey.size).toBe(103); // k, p, gone, b0…b99
      expect(byKey.get("k")?.event).toBe("expire"); // SET … PX emits set, then expire (as Redis)
      expect(byKey.get("k")?.ttl).toMatchObject({ status: TtlStatus.EXPIRES, ttlMs: 3000n });
      expect(byKey.get("p")?.event).toBe("persist");
      expect(byKey.get("p")?.ttl?.status).toBe(TtlStatus.NO_EXPIRY);
      expect(byKey.get("gone")?.event).toBe("del");
      expect(byKey.get("gone")?.ttl).toBeUndefined();
      expect(byKey.get("b7")?.ttl).toMatchObject({ status: TtlStatus.EXPIRES, ttlMs: 2000n });
      expect(byKey.get("b8")?.ttl?.status).toBe(TtlStatus.NO_EXPIRY);
      // The order is that of each key's last event: the four rewritten keys come last.
      expect(events.slice(-4).map((e) => e.key)).toEqual(["k", "p", "gone", "b7"]);
    });

    it("gives a watcher that joins mid-interval nothing from before it joined; leaving stops the timer", async () => {
      const { store, fanout, set } = setup();
      const first = collect(fanout, { ...all, coalesceMs: 30 });
      await set("early");
      await tick();
      const late = collect(fanout, { ...all, coalesceMs: 30 });
      await set("later");
      await wait(70);
      expect(first.keys()).toEqual(["set:early", "set:later"]);
      expect(late.keys()).toEqual(["set:later"]);
      first.stop();
      late.stop();
      await set("after");
      await wait(50);
      expect(first.keys()).toHaveLength(2);
      expect(store.events.subscriberCount).toBe(0);
      expect(fanout.filters).toBe(0);
    });

    it("separates coalescing and plain watchers of the same pattern, and clamps the interval", async () => {
      const { fanout } = setup();
      collect(fanout, { ...all, coalesceMs: 100 });
      collect(fanout, all);
      collect(fanout, { ...all, coalesceMs: 10_000 });
      collect(fanout, { ...all, coalesceMs: 99_999 }); // clamped to 10,000: the same filter as above
      expect(fanout.filters).toBe(3);
    });
  });
});
