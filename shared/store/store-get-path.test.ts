import { describe, expect, it } from "vitest";
import { bytesFromArray, bytesFromUtf8 } from "./bytes.js";
import { createManualClock } from "./clock.js";
import { ALL_COMMANDS } from "./commands.js";
import type { KeyspaceEvent } from "./events.js";
import { MapRepository } from "./map-repository.js";
import type { Reply } from "./reply.js";
import { type Arg, createStore, type Store, type StoreOptions } from "./store.js";

// run() and execSync() take GET key straight to the MapRepository (no table lookup, no argv copy);
// copies of the built-in specs go through resolve() and the handlers, the reference.
const viaHandlers = ALL_COMMANDS.map((c) => (c.name === "GET" || c.name === "SET" ? { ...c } : c));

interface Twin {
  readonly store: Store;
  readonly events: KeyspaceEvent[];
  readonly call: (args: readonly Arg[]) => Reply;
}

function twin(options: StoreOptions, via: "run" | "execSync"): Twin {
  const store = createStore({ clock: createManualClock(), ...options });
  const events: KeyspaceEvent[] = [];
  store.events.subscribe({}, (e) => events.push(e));
  const call = (args: readonly Arg[]): Reply => {
    try {
      return (via === "run" ? store.run(args as string[]) : store.execSync(args)) as Reply;
    } catch (error) {
      return error as Reply;
    }
  };
  return { store, events, call };
}

const long = "k".repeat(40);
const calls: (readonly Arg[])[] = [
  ["GET", "a"],
  ["get", "a"],
  ["Get", "a"],
  ["SET", "a", "1"],
  ["GET", "a"],
  ["get", "a"],
  ["gEt", "a"],
  ["GET", "é"],
  ["SET", "é", "2"],
  ["GET", "é"],
  ["get", new Uint8Array([0xc3, 0xa9])],
  ["GET", long],
  ["SET", long, "3"],
  ["GET", long],
  ["RPUSH", "l", "x"],
  ["GET", "l"],
  ["get", "l"],
  ["GET"],
  ["GET", "a", "b"],
  ["GET", "nope"],
];

describe("GET through run() and execSync() on the direct path", () => {
  it.each<[string, StoreOptions]>([
    ["default limits", {}],
    ["a key limit the long key exceeds", { limits: { maxKeyBytes: 16 } }],
    ["a value limit the long key exceeds", { limits: { maxValueBytes: 16 } }],
    ["maxArgs below 2", { limits: { maxArgs: 1 } }],
  ])("matches the handlers (%s)", (_, options) => {
    for (const via of ["run", "execSync"] as const) {
      // run() takes bytes: the Uint8Array and non-ASCII calls are execSync's alone.
      const list =
        via === "run" ? calls.filter((c) => c.every((a) => typeof a === "string" && a === bytesFromUtf8(a))) : calls;
      const d = twin(options, via);
      const h = twin({ ...options, commands: viaHandlers }, via);
      expect(d.store.repository).toBeInstanceOf(MapRepository);
      const got = list.map(d.call);
      expect(got).toEqual(list.map(h.call));
      expect(d.events).toEqual(h.events);
      expect(d.store.stats()).toEqual(h.store.stats());
      expect(d.store.stats().commands).toBe(list.length);
    }
  });

  it("reads a key written as UTF-8 text and as its bytes alike", () => {
    const store = createStore();
    store.execSync(["SET", "clé", "v"]);
    expect(store.execSync(["GET", "clé"])).toBe("v");
    expect(store.execSync(["get", new TextEncoder().encode("clé")])).toBe("v");
    expect(store.run(["GET", bytesFromUtf8("clé")])).toBe("v");
    expect(store.run(["GET", "clé"])).toBeNull(); // run() takes bytes: "é" is not its UTF-8
  });

  it.each(["run", "execSync"] as const)("goes through the admission hook (%s)", (via) => {
    const store = createStore();
    store.run(["SET", "a", "1"]);
    const seen: string[] = [];
    store.admit = (spec, argv) => {
      seen.push(`${spec.name} ${argv.join(" ")}`);
    };
    const reply = via === "run" ? store.run(["get", "a"]) : store.execSync(["GET", "a"]);
    expect(reply).toBe("1");
    expect(seen).toEqual([via === "run" ? "GET get a" : "GET GET a"]);
  });

  it.each(["run", "execSync"] as const)("runs a replaced GET, not the built-in one (%s)", (via) => {
    const commands = ALL_COMMANDS.map((c) => (c.name === "GET" ? { ...c, handler: () => "replaced" } : c));
    const store = createStore({ commands });
    store.run(["SET", "a", "1"]);
    expect(via === "run" ? store.run(["GET", "a"]) : store.execSync(["get", "a"])).toBe("replaced");
  });

  it("counts a WRONGTYPE GET as a command and an error", () => {
    const store = createStore();
    store.run(["RPUSH", "l", "x"]);
    const before = store.stats();
    expect(() => store.run(["GET", "l"])).toThrow(/WRONGTYPE/);
    expect(() => store.execSync(["get", "l"])).toThrow(/WRONGTYPE/);
    expect(store.stats().commands - before.commands).toBe(2);
    expect(store.stats().errors - before.errors).toBe(2);
  });
});

describe("bytesFromUtf8", () => {
  it.each<[string, string]>([
    ["", ""],
    ["key:00000001", "key:00000001"],
    ["\x00\x7f", "\x00\x7f"],
    ["a".repeat(32), "a".repeat(32)],
    ["a".repeat(33), "a".repeat(33)],
    [`${"a".repeat(31)}é`, `${"a".repeat(31)}\xc3\xa9`],
    [`${"a".repeat(32)}é`, `${"a".repeat(32)}\xc3\xa9`],
    ["é", "\xc3\xa9"],
    ["\x80", "\xc2\x80"],
    ["€", "\xe2\x82\xac"],
  ])("encodes %j", (text, bytes) => {
    expect(bytesFromUtf8(text)).toBe(bytes);
    expect(bytesFromUtf8(text)).toBe(bytesFromArray(new TextEncoder().encode(text)));
  });
});
