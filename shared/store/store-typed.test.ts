import { describe, expect, it } from "vitest";
import { bytesToArray } from "./bytes.js";
import { createManualClock, type ManualClock } from "./clock.js";
import { ALL_COMMANDS } from "./commands.js";
import { StoreError } from "./errors.js";
import type { KeyspaceEvent } from "./events.js";
import { MapRepository, type RepositoryObserver } from "./map-repository.js";
import type { Reply } from "./reply.js";
import type { SetOptions, StoreOptions } from "./store.js";
import { createStore, type Store } from "./store.js";
import { createTestStore, type TestStore } from "./testing.js";

/** A typed call and the command line it must behave exactly like. */
type Step =
  | { readonly get: string }
  | { readonly set: [string, string, SetOptions?] }
  | { readonly cmd: string[] }
  | { readonly advance: number };

function asArgv(step: Step): string[] | null {
  if ("get" in step) return ["GET", step.get];
  if ("set" in step) {
    const [key, value, o = {}] = step.set;
    const argv = ["SET", key, value];
    if (o.px !== undefined) argv.push("PX", String(o.px));
    if (o.pxat !== undefined) argv.push("PXAT", String(o.pxat));
    if (o.nx) argv.push("NX");
    if (o.xx) argv.push("XX");
    if (o.keepTtl) argv.push("KEEPTTL");
    if (o.get) argv.push("GET");
    return argv;
  }
  return null;
}

/** Runs `steps` typed on one store and as commands on a twin; replies, events and counters must match. */
function compare(steps: readonly Step[], options: StoreOptions = {}): { typed: TestStore; replies: Reply[] } {
  const typed = createTestStore(options);
  const twin = createTestStore(options);
  const replies: Reply[] = [];
  for (const step of steps) {
    if ("advance" in step) {
      typed.clock.advance(step.advance);
      twin.clock.advance(step.advance);
      continue;
    }
    if ("cmd" in step) {
      typed.run(...step.cmd);
      twin.run(...step.cmd);
      continue;
    }
    let got: Reply;
    try {
      got = "get" in step ? typed.store.get(step.get) : typed.store.set(...step.set);
    } catch (error) {
      got = error as Reply;
    }
    // The typed API takes byte strings; the twin gets the same bytes as Uint8Arrays.
    const want = twin.run(...(asArgv(step) as string[]).map(bytesToArray));
    expect(got).toEqual(want);
    replies.push(got);
  }
  expect(typed.events).toEqual(twin.events);
  const { sweep: _a, ...a } = typed.store.stats();
  const { sweep: _b, ...b } = twin.store.stats();
  expect(a).toEqual(b);
  expect(typed.run("KEYS", "*")).toEqual(twin.run("KEYS", "*"));
  return { typed, replies };
}

describe("typed get/set", () => {
  it.each<[string, Step[]]>([
    ["get missing, set, get", [{ get: "a" }, { set: ["a", "1"] }, { get: "a" }]],
    [
      "overwrite clears the TTL",
      [{ set: ["a", "1", { px: 100 }] }, { set: ["a", "2"] }, { advance: 200 }, { get: "a" }],
    ],
    ["lazy expiry on get", [{ set: ["a", "1", { px: 100 }] }, { advance: 101 }, { get: "a" }, { get: "a" }]],
    ["not yet expired at the deadline", [{ set: ["a", "1", { px: 100 }] }, { advance: 100 }, { get: "a" }]],
    ["pxat", [{ set: ["a", "1", { pxat: 1_780_000_000_050 }] }, { advance: 51 }, { get: "a" }]],
    [
      "nx and xx",
      [
        { set: ["a", "1", { xx: true }] },
        { set: ["a", "1", { nx: true }] },
        { set: ["a", "2", { nx: true }] },
        { set: ["a", "3", { xx: true }] },
        { get: "a" },
      ],
    ],
    [
      "keepttl",
      [{ set: ["a", "1", { px: 100 }] }, { set: ["a", "2", { keepTtl: true }] }, { advance: 101 }, { get: "a" }],
    ],
    ["get option", [{ set: ["a", "1", { get: true }] }, { set: ["a", "2", { get: true }] }]],
    [
      "wrong type",
      [
        { cmd: ["LPUSH", "l", "x"] },
        { get: "l" },
        { set: ["l", "v", { get: true }] },
        { set: ["l", "v"] },
        { get: "l" },
      ],
    ],
    ["bad ttl", [{ set: ["a", "1", { px: 0 }] }, { set: ["a", "1", { px: 1.5 }] }, { set: ["a", "1", { px: -5 }] }]],
    [
      "conflicting options",
      [
        { set: ["a", "1", { px: 5, pxat: 5 }] },
        { set: ["a", "1", { nx: true, xx: true }] },
        { set: ["a", "1", { px: 5, keepTtl: true }] },
      ],
    ],
    ["binary bytes", [{ set: ["\u00ff\u0000k", "\u0080v"] }, { get: "\u00ff\u0000k" }]],
  ])("behaves as the command (%s)", (_name, steps) => {
    compare(steps);
  });

  it.each<[string, StoreOptions, Step[]]>([
    ["key too long", { limits: { maxKeyBytes: 3 } }, [{ set: ["abcd", "v"] }, { get: "abcd" }, { set: ["abc", "v"] }]],
    [
      "value too long",
      { limits: { maxValueBytes: 3 } },
      [{ set: ["a", "long"] }, { get: "long" }, { set: ["a", "abc"] }],
    ],
    ["too many arguments", { limits: { maxArgs: 4 } }, [{ set: ["a", "v", { px: 10 }] }, { set: ["a", "v"] }]],
  ])("refuses as the command does (%s)", (_name, options, steps) => {
    const { replies } = compare(steps, options);
    expect(replies.some((r) => r instanceof Error)).toBe(true);
  });

  it("goes through the admission hook", () => {
    const t = createTestStore();
    const seen: string[][] = [];
    t.store.admit = (spec, argv) => {
      seen.push([spec.name, ...argv]);
      if (argv[1] === "secret") throw new Error("denied");
    };
    t.store.set("a", "1", { px: 10 });
    expect(t.store.get("a")).toBe("1");
    expect(() => t.store.get("secret")).toThrow("denied");
    expect(seen).toEqual([
      ["SET", "SET", "a", "1", "PX", "10"],
      ["GET", "GET", "a"],
      ["GET", "GET", "secret"],
    ]);
    expect(t.store.stats().errors).toBe(1);
  });

  it("runs a replaced GET or SET command, not the built-in one", () => {
    const commands = ALL_COMMANDS.map((c) =>
      c.name === "GET" || c.name === "SET" ? { ...c, handler: () => `replaced ${c.name}` } : c,
    );
    const t = createTestStore({ commands });
    expect(t.store.set("a", "1")).toBe("replaced SET");
    expect(t.store.get("a")).toBe("replaced GET");
  });

  it("runs inside an event listener (re-entrant)", () => {
    const t = createTestStore();
    const copies: (string | null)[] = [];
    t.store.events.subscribe({ pattern: "src" }, (e) => {
      if (e.event === "set") copies.push(t.store.get("src"));
    });
    t.store.set("src", "x");
    expect(copies).toEqual(["x"]);
  });

  it("refuses an asynchronous repository like execSync", async () => {
    const t = createTestStore();
    const repository = Object.assign(Object.create(Object.getPrototypeOf(t.store.repository)), t.store.repository, {
      capabilities: { ...t.store.repository.capabilities, synchronous: false },
    });
    const store = createTestStore({ repository }).store;
    expect(() => store.get("a")).toThrow(TypeError);
    expect(() => store.set("a", "b")).toThrow(TypeError);
  });
});

describe("GET and SET on the MapRepository's direct path", () => {
  // The built-in GET/SET run straight on the MapRepository; copies of their specs (not the
  // built-in objects) go through the handlers, the reference.
  const viaHandlers = ALL_COMMANDS.map((c) => (c.name === "GET" || c.name === "SET" ? { ...c } : c));

  interface Observed {
    readonly store: Store;
    readonly clock: ManualClock;
    readonly events: KeyspaceEvent[];
    readonly log: string[];
    readonly run: (...argv: string[]) => Reply;
  }

  /** A store whose observer calls land in `log` (and events in `events` when `listen`). */
  function observed(options: StoreOptions, listen: boolean, observe: boolean): Observed {
    const clock = createManualClock();
    const store = createStore({ clock, ...options });
    const events: KeyspaceEvent[] = [];
    if (listen) store.events.subscribe({}, (e) => events.push(e));
    const log: string[] = [];
    const observer: RepositoryObserver = {
      touched: (key) => log.push(`touched ${key}`),
      flushed: () => log.push("flushed"),
      accessed: (key) => log.push(`accessed ${key}`),
    };
    if (observe) store.repository.local?.addObserver(observer);
    const run = (...argv: string[]): Reply => {
      try {
        return store.run(argv) as Reply;
      } catch (error) {
        return error as Reply;
      }
    };
    return { store, clock, events, log, run };
  }

  it.each([
    [true, true],
    [false, true],
    [true, false],
    [false, false],
  ])("matches the handlers, typed and through run (events listened: %s, observer: %s)", (listen, observe) => {
    const steps: (readonly string[] | number)[] = [
      ["GET", "a"],
      ["SET", "a", "1"],
      ["GET", "a"],
      ["SET", "a", "2"],
      ["SET", "t", "x", "PX", "100"],
      ["SET", "u", "y", "PX", "50"],
      ["GET", "t"],
      ["SET", "a", "3"],
      60,
      ["GET", "u"],
      ["SET", "u", "z"],
      ["SET", "t", "w"],
      ["GET", "t"],
      200,
      ["GET", "t"],
      ["RPUSH", "l", "e"],
      ["GET", "l"],
      ["SET", "l", "s"],
      ["GET", "l"],
    ];
    const replies = (t: Observed, typed: boolean): Reply[] =>
      steps.map((step) => {
        if (typeof step === "number") {
          t.clock.advance(step);
          return null;
        }
        const name = step[0];
        if (!typed || step.length > 3 || (name !== "GET" && name !== "SET")) return t.run(...step);
        try {
          return name === "GET" ? t.store.get(step[1] as string) : t.store.set(step[1] as string, step[2] as string);
        } catch (error) {
          return error as Reply;
        }
      });
    for (const typed of [true, false]) {
      const d = observed({}, listen, observe);
      const h = observed({ commands: viaHandlers }, listen, observe);
      expect(d.store.repository).toBeInstanceOf(MapRepository);
      const got = replies(d, typed);
      expect(got).toEqual(replies(h, typed));
      expect(got.some((r) => r instanceof StoreError && r.code === "WRONGTYPE")).toBe(true);
      expect(d.log).toEqual(h.log);
      expect(d.log.includes("accessed a")).toBe(observe);
      expect(d.events).toEqual(h.events);
      expect(d.events.length > 0).toBe(listen);
      expect(d.store.stats()).toEqual(h.store.stats());
      expect(d.store.stats().expiredKeys).toBe(1);
    }
  });

  it("reads the clock only when a key has a deadline", () => {
    let reads = 0;
    const clock = {
      now: () => {
        reads++;
        return 1_780_000_000_000;
      },
    };
    const store = createStore({ clock });
    store.set("a", "1");
    store.get("a");
    store.run(["GET", "a"]);
    store.run(["SET", "a", "2"]);
    expect(reads).toBe(0);
    store.set("t", "1", { px: 10 });
    reads = 0;
    store.get("a");
    store.set("a", "3");
    expect(reads).toBe(2);
  });
});
