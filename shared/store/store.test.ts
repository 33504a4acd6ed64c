import { describe, expect, it } from "vitest";
import type { CommandSpec } from "./command.js";
import { ALL_COMMANDS, createCommandTable } from "./commands.js";
import { StoreError } from "./errors.js";
import { OK, type Reply } from "./reply.js";
import { AwaitedRepository } from "./staged-repository.test-helpers.js";
import { type Arg, createStore, Store } from "./store.js";
import { createTestStore, err, sameReply } from "./testing.js";

/** Runs one command and returns its reply or its StoreError. */
function reply(argv: Arg[], options: Parameters<typeof createTestStore>[0] = {}): Reply {
  return createTestStore(options).run(...argv);
}

describe("dispatch: unknown commands", () => {
  it.each<[Arg[], string]>([
    [["NOPE"], "ERR unknown command 'NOPE', with args beginning with: "],
    [["nope", "a", "b", "c", "d", "e"], "ERR unknown command 'nope', with args beginning with: 'a' 'b' 'c' 'd' 'e' "],
    [
      ["foo", "x".repeat(100), "y".repeat(100), "z"],
      `ERR unknown command 'foo', with args beginning with: '${"x".repeat(100)}' '${"y".repeat(25)}' `,
    ],
    [["n".repeat(200), "a"], `ERR unknown command '${"n".repeat(128)}', with args beginning with: 'a' `],
    [["fo\r\no", "a\nb"], "ERR unknown command 'fo  o', with args beginning with: 'a b' "],
  ])("%j → Redis's message", (argv, message) => {
    expect(sameReply(reply(argv), err("UNKNOWN_COMMAND", message))).toBe(true);
  });

  it("an empty command is refused", () => {
    expect(sameReply(reply([]), err("UNKNOWN_COMMAND", "ERR empty command"))).toBe(true);
  });
});

describe("dispatch: names and arity", () => {
  it.each<[Arg[], Reply]>([
    [["get", "k"], null],
    [["GET", "k"], null],
    [["gEt", "k"], null],
    [["sEt", "k", "v"], OK],
  ])("command names are case-insensitive: %j", (argv, expected) => {
    expect(reply(argv)).toEqual(expected);
  });

  it.each<[Arg[], string]>([
    [["GET"], "get"], // fixed arity 2: too few
    [["GET", "a", "b"], "get"], // fixed arity 2: too many
    [["get"], "get"], // the message names the command in lower case
    [["DEL"], "del"], // variadic -2: at least one key
    [["MSET", "a"], "mset"], // variadic -3
    [["Set", "k"], "set"],
  ])("%j → wrong number of arguments", (argv, name) => {
    expect(sameReply(reply(argv), err("WRONG_ARITY", `ERR wrong number of arguments for '${name}' command`))).toBe(
      true,
    );
  });

  it("accepts any count at or above a variadic arity", () => {
    const t = createTestStore();
    expect(t.ok("DEL", "a")).toBe(0);
    expect(t.ok("DEL", ...Array.from({ length: 500 }, (_, i) => `k${i}`))).toBe(0);
  });

  it("the table answers both cases for every command, and refuses duplicates", () => {
    const store = createStore();
    for (const spec of ALL_COMMANDS) {
      expect(spec.name).toBe(spec.name.toUpperCase());
      expect(store.commands.get(spec.name)).toBe(spec);
      expect(store.commands.get(spec.name.toLowerCase())).toBe(spec);
    }
    const first = ALL_COMMANDS[0] as CommandSpec;
    expect(() => createCommandTable([first, first])).toThrow(`duplicate command ${first.name}`);
  });

  it("takes a custom command table", () => {
    const ping: CommandSpec = {
      name: "XECHO",
      arity: 2,
      flags: ["readonly", "fast"],
      firstKey: 0,
      lastKey: 0,
      step: 0,
      group: "server",
      complexity: "O(1)",
      summary: "echo",
      syntax: "XECHO message",
      handler: (_ctx, argv) => argv[1] as string,
    };
    const t = createTestStore({ commands: [ping] });
    expect(t.ok("xecho", "hi")).toBe("hi");
    expect(t.run("GET", "k")).toBeInstanceOf(StoreError);
  });
});

describe("dispatch: limits", () => {
  it.each<[string, Partial<Record<"maxArgs" | "maxKeyBytes" | "maxValueBytes", number>>, Arg[], Reply]>([
    [
      "maxArgs counts the name",
      { maxArgs: 3 },
      ["DEL", "a", "b", "c"],
      err("LIMIT", "ERR too many arguments (4 > max 3)"),
    ],
    ["maxArgs: at the limit passes", { maxArgs: 3 }, ["DEL", "a", "b"], 0],
    [
      "maxKeyBytes applies to keys",
      { maxKeyBytes: 4 },
      ["GET", "12345"],
      err("LIMIT", "ERR key exceeds the maximum size (4 bytes)"),
    ],
    ["maxKeyBytes: at the limit passes", { maxKeyBytes: 4 }, ["GET", "1234"], null],
    ["maxKeyBytes ignores values", { maxKeyBytes: 4 }, ["SET", "k", "a long value"], OK],
    [
      "maxKeyBytes applies to every key of a multi-key command",
      { maxKeyBytes: 4 },
      ["MSET", "a", "1", "bbbbb", "2"],
      err("LIMIT", "ERR key exceeds the maximum size (4 bytes)"),
    ],
    [
      "maxValueBytes applies to every argument",
      { maxValueBytes: 4 },
      ["SET", "k", "12345"],
      err("LIMIT", "ERR argument exceeds the maximum size (4 bytes)"),
    ],
    ["maxValueBytes counts bytes, not characters", { maxValueBytes: 4 }, ["SET", "k", "éé"], OK],
    [
      "maxValueBytes: a 3-byte character tips it over",
      { maxValueBytes: 4 },
      ["SET", "k", "é€"],
      err("LIMIT", "ERR argument exceeds the maximum size (4 bytes)"),
    ],
    [
      "arity is checked before limits",
      { maxArgs: 2 },
      ["GET", "a", "b"],
      err("WRONG_ARITY", "ERR wrong number of arguments for 'get' command"),
    ],
  ])("%s", (_, limits, argv, expected) => {
    const actual = reply(argv, { limits });
    expect(sameReply(actual, expected), `got ${String(actual)}`).toBe(true);
  });

  it("a refused command changes nothing", () => {
    const t = createTestStore({ limits: { maxValueBytes: 4 } });
    t.run("SET", "k", "12345");
    expect(t.ok("EXISTS", "k")).toBe(0);
    expect(t.events).toEqual([]);
  });
});

describe("stats", () => {
  it("counts commands and errors, and passes the repository's counters through", async () => {
    const t = createTestStore();
    t.ok("SET", "a", "1");
    t.ok("GET", "a"); // hit
    t.ok("GET", "b"); // miss
    t.run("NOPE");
    t.run("GET");
    t.run("INCR", "a", "b");
    await t.store.transaction([
      ["SET", "c", "1"],
      ["GET", "c"],
    ]);
    await t.store.transaction([["GET"]]).catch(() => {});
    const stats = t.store.stats();
    expect(stats.commands).toBe(6 + 2 + 1);
    expect(stats.errors).toBe(4);
    expect(stats.keys).toBe(2);
    expect(stats.hits).toBeGreaterThanOrEqual(1);
    expect(stats.misses).toBeGreaterThanOrEqual(1);
    expect(stats.subscribers).toBe(1); // the test store's recorder
  });

  it("counts a runtime error (WRONGTYPE) as an error", () => {
    const t = createTestStore();
    t.ok("RPUSH", "l", "a");
    expect(sameReply(t.run("INCR", "l"), err("WRONGTYPE"))).toBe(true);
    expect(t.store.stats()).toMatchObject({ commands: 2, errors: 1 });
  });
});

/** The in-memory engine behind an await: what a remote engine looks like to the store. */
const AsyncRepository = AwaitedRepository;

describe("exec and execSync", () => {
  it("execSync returns the reply directly and throws StoreErrors", () => {
    const store = createTestStore().store;
    expect(store.execSync(["SET", "k", "v"])).toEqual(OK);
    expect(store.execSync(["GET", "k"])).toBe("v");
    expect(() => store.execSync(["GET"])).toThrow(StoreError);
  });

  it("exec returns a promise on a synchronous repository too, and rejects instead of throwing", async () => {
    const store = createTestStore().store;
    const pending = store.exec(["SET", "k", "v"]);
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toEqual(OK);
    const bad = store.exec(["GET"]);
    await expect(bad).rejects.toMatchObject({ code: "WRONG_ARITY" });
  });

  it("takes Uint8Array arguments byte for byte and text as UTF-8", async () => {
    const store = createTestStore().store;
    await store.exec([new Uint8Array([0x53, 0x45, 0x54]), new Uint8Array([0xff, 0x00]), "é"]);
    expect(await store.exec(["GET", new Uint8Array([0xff, 0x00])])).toBe("\xc3\xa9");
    expect(Store.argv(["é", new Uint8Array([1, 2])])).toEqual(["\xc3\xa9", "\x01\x02"]);
  });

  it("on an asynchronous repository: exec works, execSync refuses with a TypeError", async () => {
    const t = createTestStore({ repository: new AsyncRepository() });
    expect(() => t.store.execSync(["GET", "k"])).toThrow(TypeError);
    expect(await t.store.exec(["SET", "k", "v"])).toEqual(OK);
    expect(await t.store.exec(["GET", "k"])).toBe("v");
    await expect(t.store.exec(["NOPE"])).rejects.toMatchObject({ code: "UNKNOWN_COMMAND" });
    await expect(t.store.exec(["RPUSH", "k", "x"])).rejects.toMatchObject({ code: "WRONGTYPE" });
    expect(t.store.stats()).toMatchObject({ commands: 4, errors: 2 });
    expect(t.store.locks.idle).toBe(true);
    expect(t.events.map((e) => e.event)).toEqual(["set"]);
  });

  it("reads the clock once per command: events carry the command's time", () => {
    const t = createTestStore();
    t.clock.set(1_000_000);
    t.ok("SET", "k", "v");
    expect(t.events).toEqual([{ event: "set", key: "k", class: "string", atMs: 1_000_000 }]);
  });
});
