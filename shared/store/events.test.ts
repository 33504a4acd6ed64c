import { describe, expect, it } from "vitest";
import { EventBus, type EventClass, type EventFilter, type KeyspaceEvent } from "./events.js";
import { createTestStore } from "./testing.js";

const ev = (event: string, key: string, cls: EventClass = "generic", atMs = 0): KeyspaceEvent => ({
  event,
  key,
  class: cls,
  atMs,
});

const SAMPLE: KeyspaceEvent[] = [
  ev("set", "user:1", "string"),
  ev("del", "user:2"),
  ev("lpush", "queue", "list"),
  ev("hset", "user:1:profile", "hash"),
  ev("expired", "session:9", "expired"),
  ev("set", "h*llo", "string"),
  ev("set", "\xff\x00bin", "string"),
];

/** The keys of the sample events a subscriber with `filter` receives. */
function received(filter: EventFilter): string[] {
  const bus = new EventBus();
  const got: string[] = [];
  bus.subscribe(filter, (e) => got.push(`${e.event}:${e.key}`));
  for (const e of SAMPLE) bus.emit(e);
  return got;
}

describe("EventBus filters", () => {
  const all = SAMPLE.map((e) => `${e.event}:${e.key}`);
  it.each<[string, EventFilter, string[]]>([
    ["an empty filter receives everything", {}, all],
    ["the pattern * receives everything", { pattern: "*" }, all],
    ["empty lists do not narrow", { events: [], classes: [] }, all],
    ["a glob over keys", { pattern: "user:*" }, ["set:user:1", "del:user:2", "hset:user:1:profile"]],
    ["? matches one byte", { pattern: "user:?" }, ["set:user:1", "del:user:2"]],
    ["a class [..]", { pattern: "user:[2-9]" }, ["del:user:2"]],
    ["an escaped wildcard is literal", { pattern: "h\\*llo" }, ["set:h*llo"]],
    ["patterns match bytes", { pattern: "\xff*" }, ["set:\xff\x00bin"]],
    ["by event name", { events: ["set", "del"] }, ["set:user:1", "del:user:2", "set:h*llo", "set:\xff\x00bin"]],
    ["by class", { classes: ["list", "expired"] }, ["lpush:queue", "expired:session:9"]],
    [
      "every field narrows (AND)",
      { pattern: "user:*", events: ["set", "hset"], classes: ["hash"] },
      ["hset:user:1:profile"],
    ],
    ["nothing matches", { pattern: "nomatch*" }, []],
  ])("%s", (_, filter, expected) => {
    expect(received(filter)).toEqual(expected);
  });
});

describe("EventBus subscriptions", () => {
  it("counts subscribers and says whether anybody listens", () => {
    const bus = new EventBus();
    expect(bus.listening).toBe(false);
    const a = bus.subscribe({}, () => {});
    const b = bus.subscribe({ pattern: "x" }, () => {});
    expect(bus.listening).toBe(true);
    expect(bus.subscriberCount).toBe(2);
    a();
    a(); // idempotent
    expect(bus.subscriberCount).toBe(1);
    b();
    expect(bus.listening).toBe(false);
  });

  it("delivers in subscription order and stops after unsubscribe", () => {
    const bus = new EventBus();
    const got: string[] = [];
    const off1 = bus.subscribe({}, (e) => got.push(`1:${e.key}`));
    bus.subscribe({}, (e) => got.push(`2:${e.key}`));
    bus.emit(ev("set", "a"));
    off1();
    bus.emit(ev("set", "b"));
    expect(got).toEqual(["1:a", "2:a", "2:b"]);
  });

  it("the same listener subscribed twice is two subscriptions, removed one at a time", () => {
    const bus = new EventBus();
    const got: string[] = [];
    const listener = (e: KeyspaceEvent): void => {
      got.push(e.key);
    };
    const off1 = bus.subscribe({}, listener);
    bus.subscribe({ pattern: "b" }, listener);
    bus.emit(ev("set", "b"));
    off1();
    bus.emit(ev("set", "b"));
    bus.emit(ev("set", "a"));
    expect(got).toEqual(["b", "b", "b"]);
  });

  it("a listener that subscribes or unsubscribes during an emit affects the next emit only", () => {
    const bus = new EventBus();
    const got: string[] = [];
    let offSecond = (): void => {};
    bus.subscribe({}, (e) => {
      got.push(`first:${e.key}`);
      offSecond();
      bus.subscribe({}, (e2) => got.push(`late:${e2.key}`));
    });
    offSecond = bus.subscribe({}, (e) => got.push(`second:${e.key}`));
    bus.emit(ev("set", "a"));
    expect(got).toEqual(["first:a", "second:a"]);
    got.length = 0;
    bus.emit(ev("set", "b"));
    expect(got).toEqual(["first:b", "late:b"]);
  });

  it("a throwing listener neither stops the others nor reaches the emitter", () => {
    const bus = new EventBus();
    const errors: unknown[] = [];
    bus.onListenerError = (e) => errors.push(e);
    const got: string[] = [];
    const boom = new Error("listener bug");
    bus.subscribe({}, () => {
      throw boom;
    });
    bus.subscribe({}, (e) => got.push(e.key));
    expect(() => bus.emit(ev("set", "a"))).not.toThrow();
    expect(got).toEqual(["a"]);
    expect(errors).toEqual([boom]);
  });

  it("even when the error reporter throws, the emitter is safe", () => {
    const bus = new EventBus();
    bus.onListenerError = () => {
      throw new Error("reporter bug");
    };
    const got: string[] = [];
    bus.subscribe({}, () => {
      throw new Error("listener bug");
    });
    bus.subscribe({}, (e) => got.push(e.key));
    expect(() => bus.emit(ev("set", "a"))).not.toThrow();
    expect(got).toEqual(["a"]);
  });
});

describe("events from the store", () => {
  it("a command emits its event with the command's time", () => {
    const t = createTestStore();
    t.clock.set(5_000);
    t.ok("SET", "k", "v");
    t.ok("DEL", "k");
    expect(t.events).toEqual([ev("set", "k", "string", 5_000), ev("del", "k", "generic", 5_000)]);
  });

  it("a key found expired on access emits `expired` once", () => {
    const t = createTestStore();
    t.ok("SET", "k", "v", "PX", "100");
    t.events.length = 0;
    t.clock.advance(101);
    expect(t.ok("GET", "k")).toBeNull();
    expect(t.ok("GET", "k")).toBeNull();
    expect(t.events).toEqual([ev("expired", "k", "expired", t.clock.now())]);
  });

  it("the active sweep emits `expired` for keys nobody touches", async () => {
    const t = createTestStore();
    t.ok("SET", "a", "1", "PX", "10");
    t.ok("SET", "b", "1", "PX", "10");
    t.ok("SET", "c", "1");
    t.events.length = 0;
    t.clock.advance(11);
    await t.store.sweep();
    expect(t.events.map((e) => `${e.event}:${e.key}`).sort()).toEqual(["expired:a", "expired:b"]);
  });

  it("a throwing subscriber does not fail the command", () => {
    const t = createTestStore();
    t.store.events.subscribe({}, () => {
      throw new Error("subscriber bug");
    });
    expect(t.run("SET", "k", "v")).toEqual(t.ok("SET", "k", "v"));
    expect(t.ok("GET", "k")).toBe("v");
  });

  it("a throwing subscriber does not fail a committed transaction", async () => {
    const t = createTestStore();
    t.store.events.onListenerError = () => {
      throw new Error("reporter bug");
    };
    t.store.events.subscribe({}, () => {
      throw new Error("subscriber bug");
    });
    await expect(t.store.transaction([["SET", "k", "v"]])).resolves.toHaveLength(1);
    expect(t.ok("GET", "k")).toBe("v");
  });
});
