import { describe, expect, it } from "vitest";
import { bytesFromArray, bytesFromUtf8 } from "./bytes.js";
import { createManualClock } from "./clock.js";
import { ALL_COMMANDS } from "./commands.js";
import type { KeyspaceEvent } from "./events.js";
import { MapRepository } from "./map-repository.js";
import { OK, type Reply } from "./reply.js";
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

describe("command names on the direct GET/SET paths", () => {
  // Every 3-byte name one byte away from get/set (all 256 values at each position, both cases
  // around it): the direct paths must take exactly the names resolve() takes, no more, no fewer.
  function names(word: string): string[] {
    const out: string[] = [];
    for (let pos = 0; pos < 3; pos++) {
      for (let b = 0; b < 256; b++) {
        const chars = word.split("");
        chars[pos] = String.fromCharCode(b);
        out.push(chars.join(""));
        out.push(chars.join("").toUpperCase());
      }
    }
    return out;
  }

  it.each(["run", "execSync"] as const)("takes every name resolve() takes, and only those (%s)", (via) => {
    const direct = createStore({ clock: createManualClock() });
    const handlers = createStore({ clock: createManualClock(), commands: viaHandlers });
    const call = (store: Store, args: readonly Arg[]): Reply => {
      try {
        // execSync gets bytes 0x80-0xff as one-byte text (encoded as UTF-8 then, as any text).
        return (via === "run" ? store.run(args as string[]) : store.execSync(args)) as Reply;
      } catch (error) {
        return (error as Error).message;
      }
    };
    const list: (readonly Arg[])[] = [
      ...names("set").map((name) => [name, "k", name]),
      ...names("get").map((name) => [name, "k"]),
    ];
    const got = list.map((args) => call(direct, args));
    expect(got).toEqual(list.map((args) => call(handlers, args)));
    // The spellings of SET ran as SET (not every name refused alike), and only they did.
    const sets = list.filter((args) => args.length === 3 && (args[0] as string).toLowerCase() === "set").length;
    expect(sets).toBeGreaterThan(6);
    expect(got.filter((r) => r === OK).length).toBe(sets);
    expect(direct.stats()).toEqual(handlers.stats());
  });

  it.each(["run", "execSync"] as const)(
    "runs whatever another letter case of the name resolves to (a table with a `gEt` and `sEt`) (%s)",
    (via) => {
      // createCommandTable files a spec under its name and its lower case: `gEt` takes `get` too,
      // while `GET` stays the built-in. Each spelling must run what resolve() finds for it.
      const commands = [
        ...ALL_COMMANDS,
        {
          ...(ALL_COMMANDS.find((c) => c.name === "GET") as (typeof ALL_COMMANDS)[number]),
          name: "gEt",
          handler: () => "custom get",
        },
        {
          ...(ALL_COMMANDS.find((c) => c.name === "SET") as (typeof ALL_COMMANDS)[number]),
          name: "sEt",
          handler: () => "custom set",
        },
      ];
      const store = createStore({ commands });
      const call = (args: readonly Arg[]): Reply =>
        (via === "run" ? store.run(args as string[]) : store.execSync(args)) as Reply;
      expect(call(["SET", "k", "v"])).toBe(OK);
      expect(call(["GET", "k"])).toBe("v");
      for (const name of ["get", "gEt", "Get", "geT"]) expect(call([name, "k"])).toBe("custom get");
      for (const name of ["set", "sEt", "Set", "seT"]) expect(call([name, "k", "w"])).toBe("custom set");
      expect(store.get("k")).toBe("v"); // the typed API runs the built-in GET (GET is not replaced)
    },
  );

  it("answers alike for a name of any string representation (literal, decoded, sliced, concatenated)", () => {
    const store = createStore();
    const decoded = (text: string): string => bytesFromArray(new TextEncoder().encode(text));
    const spellings = (word: string): string[] => [
      word,
      decoded(word),
      `x${word}x`.slice(1, 4),
      [word.slice(0, 1), word.slice(1)].join(""),
      word.toLowerCase(),
      decoded(word.toLowerCase()),
    ];
    for (const [i, name] of spellings("SET").entries()) expect(store.run([name, `k${i}`, `v${i}`])).toBe(OK);
    for (const [i, name] of spellings("GET").entries()) {
      expect(store.run([name, `k${i}`])).toBe(`v${i}`);
      expect(store.execSync([name, `k${i}`])).toBe(`v${i}`);
    }
    expect(store.stats().commands).toBe(18);
  });
});
