import { describe, expect, it } from "vitest";
import { bytesFromUtf8 } from "./bytes.js";
import { createManualClock, type ManualClock } from "./clock.js";
import { ALL_COMMANDS } from "./commands.js";
import { StoreError } from "./errors.js";
import type { KeyspaceEvent } from "./events.js";
import { MapRepository, type RepositoryObserver } from "./map-repository.js";
import { OK, type Reply } from "./reply.js";
import { type Arg, createStore, type Store, type StoreOptions } from "./store.js";

// run() and execSync() take SET key value straight to the MapRepository (no table lookup, no argv
// copy); copies of the built-in specs go through resolve() and the handlers, the reference.
const viaHandlers = ALL_COMMANDS.map((c) => (c.name === "GET" || c.name === "SET" ? { ...c } : c));

interface Twin {
  readonly store: Store;
  readonly clock: ManualClock;
  readonly events: KeyspaceEvent[];
  readonly log: string[];
  readonly call: (args: readonly Arg[]) => Reply;
}

function twin(options: StoreOptions, via: "run" | "execSync", observe: boolean): Twin {
  const clock = createManualClock();
  const store = createStore({ clock, ...options });
  const events: KeyspaceEvent[] = [];
  store.events.subscribe({}, (e) => events.push(e));
  const log: string[] = [];
  const observer: RepositoryObserver = {
    touched: (key) => log.push(`touched ${key}`),
    flushed: () => log.push("flushed"),
    accessed: (key) => log.push(`accessed ${key}`),
  };
  if (observe) store.repository.local?.addObserver(observer);
  const call = (args: readonly Arg[]): Reply => {
    try {
      return (via === "run" ? store.run(args as string[]) : store.execSync(args)) as Reply;
    } catch (error) {
      return error as Reply;
    }
  };
  return { store, clock, events, log, call };
}

const long = "k".repeat(40);
/** Calls, with a number meaning "advance the clock by this many ms". */
const steps: (readonly Arg[] | number)[] = [
  ["SET", "a", "1"],
  ["set", "a", "2"],
  ["Set", "a", "3"],
  ["GET", "a"],
  ["SET", "é", "v"],
  ["SET", "k", "é"],
  ["GET", "é"],
  ["GET", "k"],
  ["set", new Uint8Array([0xc3, 0xa9]), "w"],
  ["SET", "b", new Uint8Array([0x61])],
  ["SET", long, "x"],
  ["SET", "v", long],
  ["GET", long],
  ["SET", "t", "x", "PX", "100"],
  ["SET", "u", "y", "PX", "50"],
  ["SET", "t", "z"],
  60,
  ["SET", "u", "z"],
  ["GET", "u"],
  ["SET", "w", "1", "PX", "10"],
  20,
  ["SET", "w", "2"],
  ["RPUSH", "l", "e"],
  ["SET", "l", "s"],
  ["GET", "l"],
  ["SET", "a"],
  ["SET", "", ""],
  ["GET", ""],
];

function play(t: Twin, list: (readonly Arg[] | number)[]): Reply[] {
  return list.map((step) => {
    if (typeof step !== "number") return t.call(step);
    t.clock.advance(step);
    return null;
  });
}

describe("SET key value through run() and execSync() on the direct path", () => {
  it.each<[string, StoreOptions, boolean]>([
    ["default limits", {}, false],
    ["default limits, with an observer", {}, true],
    ["a key limit the long key exceeds", { limits: { maxKeyBytes: 16 } }, false],
    ["a value limit the long key and value exceed", { limits: { maxValueBytes: 16 } }, false],
    ["maxArgs below 3", { limits: { maxArgs: 2 } }, false],
  ])("matches the handlers (%s)", (_, options, observe) => {
    for (const via of ["run", "execSync"] as const) {
      // run() takes bytes: the Uint8Array and non-ASCII calls are execSync's alone.
      const list =
        via === "run"
          ? steps.filter(
              (s) => typeof s === "number" || s.every((a) => typeof a === "string" && a === bytesFromUtf8(a)),
            )
          : steps;
      const d = twin(options, via, observe);
      const h = twin({ ...options, commands: viaHandlers }, via, observe);
      expect(d.store.repository).toBeInstanceOf(MapRepository);
      const got = play(d, list);
      expect(got).toEqual(play(h, list));
      expect(d.events).toEqual(h.events);
      expect(d.log).toEqual(h.log);
      expect(d.log.length > 0).toBe(observe);
      expect(d.store.stats()).toEqual(h.store.stats());
      expect(d.store.stats().commands).toBe(list.filter((s) => typeof s !== "number").length);
      // With maxArgs below 3 every SET is refused, on both paths.
      expect(d.events.some((e) => e.event === "set")).toBe(options.limits?.maxArgs === undefined);
    }
  });

  it("writes UTF-8 text as its bytes, as the general path does", () => {
    const store = createStore();
    expect(store.execSync(["SET", "clé", "valé"])).toBe(OK);
    expect(store.run(["GET", bytesFromUtf8("clé")])).toBe(bytesFromUtf8("valé"));
    expect(store.execSync(["GET", new TextEncoder().encode("clé")])).toBe(bytesFromUtf8("valé"));
  });

  it.each(["run", "execSync"] as const)("goes through the admission hook (%s)", (via) => {
    const store = createStore();
    const seen: string[] = [];
    store.admit = (spec, argv) => {
      seen.push(`${spec.name} ${argv.join(" ")}`);
    };
    const reply = via === "run" ? store.run(["set", "a", "1"]) : store.execSync(["SET", "a", "1"]);
    expect(reply).toBe(OK);
    expect(seen).toEqual([via === "run" ? "SET set a 1" : "SET SET a 1"]);
  });

  it.each(["run", "execSync"] as const)("runs a replaced SET, not the built-in one (%s)", (via) => {
    const commands = ALL_COMMANDS.map((c) => (c.name === "SET" ? { ...c, handler: () => "replaced" } : c));
    const store = createStore({ commands });
    expect(via === "run" ? store.run(["SET", "a", "1"]) : store.execSync(["set", "a", "1"])).toBe("replaced");
    expect(store.run(["GET", "a"])).toBeNull();
  });

  it.each(["run", "execSync"] as const)("counts a refused SET as a command and an error (%s)", (via) => {
    const store = createStore({ limits: { maxKeyBytes: 2 } });
    const before = store.stats();
    const call = () => (via === "run" ? store.run(["SET", "abc", "1"]) : store.execSync(["SET", "abc", "1"]));
    expect(call).toThrow(/key/);
    expect(store.stats().commands - before.commands).toBe(1);
    expect(store.stats().errors - before.errors).toBe(1);
  });
});

describe("the direct GET/SET paths follow limits and the admission hook changed after creation", () => {
  // The direct paths test precomputed bounds (refreshDirect): a stale bound would let a call skip
  // resolve()'s checks, or the hook, on one entry point while the others refuse it.
  const entryPoints = (store: Store, key: string, value: string): [string, () => Reply][] => [
    ["typed get", () => store.get(key)],
    ["typed set", () => store.set(key, value)],
    // With options: not the direct path, but the same precomputed bound (fastPath).
    ["typed set PX", () => store.set(key, value, { px: 60_000 })],
    ["run GET", () => store.run(["GET", key]) as Reply],
    ["run SET", () => store.run(["SET", key, value]) as Reply],
    ["execSync GET", () => store.execSync(["get", key])],
    ["execSync SET", () => store.execSync(["set", key, value])],
  ];
  const outcome = (fn: () => Reply): string => {
    try {
      fn();
      return "ok";
    } catch (error) {
      return (error as Error).message;
    }
  };

  it("refuses a key over a key limit lowered by setLimits, and takes it again once raised", () => {
    const store = createStore();
    const before = store.limits.maxKeyBytes;
    store.setLimits({ maxKeyBytes: 16 });
    for (const [name, call] of entryPoints(store, long, "v")) {
      expect([name, outcome(call)]).toEqual([name, "ERR key exceeds the maximum size (16 bytes)"]);
    }
    store.setLimits({ maxKeyBytes: before });
    for (const [name, call] of entryPoints(store, long, "v")) expect([name, outcome(call)]).toEqual([name, "ok"]);
    expect(store.stats()).toMatchObject({ commands: 14, errors: 7 });
  });

  it("refuses a value or key over a value limit lowered by setLimits", () => {
    const store = createStore();
    store.setLimits({ maxValueBytes: 16 });
    const tooLong = "ERR argument exceeds the maximum size (16 bytes)";
    // The long string as the key: every entry point refuses it.
    for (const [name, call] of entryPoints(store, long, "v")) expect([name, outcome(call)]).toEqual([name, tooLong]);
    // As the value: every SET refuses it, every GET runs.
    for (const [name, call] of entryPoints(store, "k", long)) {
      expect([name, outcome(call)]).toEqual([name, name.toLowerCase().endsWith("get") ? "ok" : tooLong]);
    }
  });

  it("refuses SET key value once maxArgs drops below 3, GET still runs", () => {
    const store = createStore();
    store.setLimits({ maxArgs: 2 });
    for (const [name, call] of entryPoints(store, "k", "v")) {
      const get = name.toLowerCase().endsWith("get");
      const n = name.endsWith("PX") ? 5 : 3;
      expect([name, outcome(call)]).toEqual([name, get ? "ok" : `ERR too many arguments (${n} > max 2)`]);
    }
    store.setLimits({ maxArgs: 1 });
    expect(outcome(() => store.get("k"))).toBe("ERR too many arguments (2 > max 1)");
    expect(outcome(() => store.execSync(["GET", "k"]))).toBe("ERR too many arguments (2 > max 1)");
  });

  it("calls an admission hook installed after creation on every entry point, and stops once it is removed", () => {
    const store = createStore();
    store.set("k", "v");
    const seen: string[] = [];
    store.admit = (spec, argv) => {
      seen.push(`${spec.name} ${argv.slice(1).join(" ")}`);
    };
    for (const [name, call] of entryPoints(store, "k", "w")) expect([name, outcome(call)]).toEqual([name, "ok"]);
    expect(seen).toEqual(["GET k", "SET k w", "SET k w PX 60000", "GET k", "SET k w", "GET k", "SET k w"]);
    store.admit = () => {
      throw new StoreError("NOPERM", "NOPERM refused");
    };
    for (const [name, call] of entryPoints(store, "k", "w"))
      expect([name, outcome(call)]).toEqual([name, "NOPERM refused"]);
    store.admit = undefined;
    for (const [name, call] of entryPoints(store, "k", "x")) expect([name, outcome(call)]).toEqual([name, "ok"]);
    expect(seen.length).toBe(7);
    expect(store.get("k")).toBe("x");
  });
});
