import { describe, expect, it } from "vitest";
import { createManualClock } from "./clock.js";
import type { KeyspaceEvent } from "./events.js";
import { OK, type Reply } from "./reply.js";
import type { WatchHandle } from "./repository.js";
import { createStore, type Store } from "./store.js";

// What the direct GET/SET paths (typed get/set, run, execSync) must keep while they skip work:
// lazy expiry at the deadline read from the clock of this command, keyspace hits/misses, the dirty
// counter, WATCH invalidation and keyspace events, on every entry point alike.
type Via = "typed" | "run" | "execSync";
const VIAS: Via[] = ["typed", "run", "execSync"];

const get = (store: Store, via: Via, key: string): Reply =>
  via === "typed" ? store.get(key) : via === "run" ? (store.run(["GET", key]) as Reply) : store.execSync(["get", key]);
const set = (store: Store, via: Via, key: string, value: string): Reply =>
  via === "typed"
    ? store.set(key, value)
    : via === "run"
      ? (store.run(["SET", key, value]) as Reply)
      : store.execSync(["set", key, value]);

function setup() {
  const clock = createManualClock(1_000);
  const store = createStore({ clock });
  const events: KeyspaceEvent[] = [];
  return { clock, store, events };
}

describe("direct GET/SET keep lazy expiry, counters, WATCH and events", () => {
  it.each(VIAS)("GET sees a deadline pass between two reads, alive at the deadline as in Redis (%s)", (via) => {
    const { clock, store } = setup();
    const expired: string[] = [];
    store.events.subscribe({}, (e) => {
      if (e.event === "expired") expired.push(e.key);
    });
    // Many keys without a deadline beside the one with: the clock must still be read for it.
    for (let i = 0; i < 50; i++) set(store, via, `plain${i}`, "p");
    store.run(["SET", "k", "v", "PX", "100"]);
    clock.set(1_100);
    expect(get(store, via, "k")).toBe("v"); // now == deadline: Redis's keyIsExpired is now > when
    clock.set(1_101);
    expect(get(store, via, "k")).toBeNull();
    expect(get(store, via, "k")).toBeNull();
    expect(expired).toEqual(["k"]); // exactly once
    expect(store.repository.stats().expiredKeys).toBe(1);
    expect(get(store, via, "plain7")).toBe("p");
  });

  it.each(VIAS)("SET over a key past its deadline reclaims it first, with one expired event (%s)", (via) => {
    const { clock, store, events } = setup();
    store.events.subscribe({}, (e) => events.push(e));
    store.run(["SET", "k", "old", "PX", "10"]);
    clock.set(1_011);
    expect(set(store, via, "k", "new")).toBe(OK);
    const seen = events.filter((e) => e.event !== "expire").map((e) => `${e.event} ${e.key} ${e.atMs}`);
    expect(seen).toEqual(["set k 1000", "expired k 1011", "set k 1011"]);
    expect(store.run(["PTTL", "k"])).toBe(-1);
    expect(get(store, via, "k")).toBe("new");
    // A live deadline is dropped by a plain SET.
    store.run(["SET", "t", "x", "PX", "50"]);
    set(store, via, "t", "y");
    clock.advance(1_000);
    expect(get(store, via, "t")).toBe("y");
  });

  it.each(VIAS)("counts keyspace hits, misses and dirty as the handlers do (%s)", (via) => {
    const { clock, store } = setup();
    const s0 = store.repository.stats();
    get(store, via, "a"); // miss
    set(store, via, "a", "1"); // miss (new key), dirty
    get(store, via, "a"); // hit
    set(store, via, "a", "2"); // hit, dirty
    store.run(["SET", "e", "x", "PX", "5"]); // miss, dirty twice (the write and its deadline)
    clock.advance(6);
    get(store, via, "e"); // miss (expired: dirty from the reclaim)
    get(store, via, "a"); // hit (clock read this time: a deadline exists)
    const s1 = store.repository.stats();
    expect(s1.hits - s0.hits).toBe(3);
    expect(s1.misses - s0.misses).toBe(4);
    expect(s1.dirty - s0.dirty).toBe(5);
  });

  it.each(VIAS)("a SET through the entry point breaks a WATCH on the key, and only on it (%s)", (via) => {
    const { store } = setup();
    store.run(["SET", "w", "0"]);
    const watched = store.repository.watch(["w"], 0) as WatchHandle;
    const other = store.repository.watch(["x"], 0) as WatchHandle;
    set(store, via, "w", "1");
    expect(watched.changed()).toBe(true);
    expect(other.changed()).toBe(false);
    get(store, via, "x");
    expect(other.changed()).toBe(false);
    // A SET of a key nobody watched, with watches open: still no change to theirs.
    set(store, via, "z", "1");
    expect(other.changed()).toBe(false);
    watched.release();
    other.release();
  });

  it.each(VIAS)("emits the set event at the command's time, with or without deadlines (%s)", (via) => {
    const { clock, store, events } = setup();
    store.events.subscribe({}, (e) => events.push(e));
    set(store, via, "a", "1");
    clock.advance(5);
    store.run(["SET", "d", "x", "PX", "100"]);
    clock.advance(5);
    set(store, via, "a", "2");
    get(store, via, "a"); // GET emits nothing
    const seen = events.filter((e) => e.event !== "expire").map((e) => `${e.event} ${e.key} ${e.atMs}`);
    expect(seen).toEqual(["set a 1000", "set d 1005", "set a 1010"]);
  });
});
