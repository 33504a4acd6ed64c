import { fromBinary, toBinary, toJson } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { TtlStatus } from "../gen/memorabilia/v1/types_pb.js";
import { WatchResponseSchema } from "../gen/memorabilia/v1/watch_service_pb.js";
import { createManualClock } from "../store/clock.js";
import { createStore } from "../store/store.js";
import { type EventBatch, preEncodedResponse, WatchFanout, type WatchFilter } from "./watch-fanout.js";

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
});
