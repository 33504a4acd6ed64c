import { describe, expect, it } from "vitest";
import { commandInfos } from "./commands.js";
import { type Reply, Status } from "./reply.js";
import {
  createTestStore,
  plainError as error,
  plainReply,
  putRaw,
  runPlain,
  plainStatus as status,
} from "./testing.js";
import type { ContainerValue } from "./value.js";

function fakeContainer(bytes: number): ContainerValue {
  return { type: "hash", size: 1, clone: () => fakeContainer(bytes), memoryBytes: () => bytes };
}

describe("replies (table)", () => {
  const cases: [name: string, commands: string[][], expected: unknown][] = [
    ["PING", [["PING"]], status("PONG")],
    ["PING message", [["PING", "hello"]], "hello"],
    ["PING empty message", [["PING", ""]], ""],
    ["PING too many", [["PING", "a", "b"]], error("ERR wrong number of arguments for 'ping' command")],
    ["ECHO", [["ECHO", "hi there"]], "hi there"],
    ["ECHO arity", [["ECHO"]], error("ERR wrong number of arguments for 'echo' command")],
    ["TIME arity", [["TIME", "x"]], error("ERR wrong number of arguments for 'time' command")],
    ["COMMAND unknown subcommand", [["COMMAND", "Foo"]], error("ERR unknown subcommand 'Foo'. Try COMMAND HELP.")],
    [
      "COMMAND COUNT arity",
      [["COMMAND", "COUNT", "x"]],
      error("ERR wrong number of arguments for 'command|count' command"),
    ],
    [
      "COMMAND HELP arity",
      [["COMMAND", "HELP", "x"]],
      error("ERR wrong number of arguments for 'command|help' command"),
    ],
    [
      "COMMAND GETKEYS arity",
      [["COMMAND", "GETKEYS", "GET"]],
      error("ERR wrong number of arguments for 'command|getkeys' command"),
    ],
    ["COMMAND INFO unknown", [["COMMAND", "INFO", "nosuch"]], [null]],
    ["COMMAND DOCS unknown is left out", [["COMMAND", "DOCS", "nosuch"]], []],
    [
      "COMMAND DOCS",
      [["COMMAND", "DOCS", "ttl"]],
      [
        "ttl",
        [
          "summary",
          "Get the time to live for a key in seconds",
          "group",
          "generic",
          "complexity",
          "O(1)",
          "syntax",
          "TTL key",
        ],
      ],
    ],
    [
      "COMMAND LIST pattern",
      [["COMMAND", "LIST", "FILTERBY", "PATTERN", "pexpire*"]],
      ["pexpire", "pexpireat", "pexpiretime"],
    ],
    ["COMMAND LIST pattern is case-insensitive", [["COMMAND", "LIST", "filterby", "pattern", "PERS?ST"]], ["persist"]],
    ["COMMAND LIST module", [["COMMAND", "LIST", "FILTERBY", "MODULE", "json"]], []],
    ["COMMAND LIST bad filter", [["COMMAND", "LIST", "FILTERBY", "COLOR", "red"]], error("ERR syntax error")],
    ["COMMAND LIST bad option", [["COMMAND", "LIST", "foo"]], error("ERR syntax error")],
    ["COMMAND LIST filter without arg", [["COMMAND", "LIST", "FILTERBY", "PATTERN"]], error("ERR syntax error")],
    ["COMMAND GETKEYS RENAME", [["COMMAND", "GETKEYS", "RENAME", "a", "b"]], ["a", "b"]],
    ["COMMAND GETKEYS DEL", [["COMMAND", "GETKEYS", "del", "a", "b", "c"]], ["a", "b", "c"]],
    ["COMMAND GETKEYS OBJECT", [["COMMAND", "GETKEYS", "OBJECT", "ENCODING", "k"]], ["k"]],
    ["COMMAND GETKEYS unknown", [["COMMAND", "GETKEYS", "NOSUCH", "a"]], error("ERR Invalid command specified")],
    ["COMMAND GETKEYS keyless", [["COMMAND", "GETKEYS", "PING", "a"]], error("ERR The command has no key arguments")],
    [
      "COMMAND GETKEYS bad arity",
      [["COMMAND", "GETKEYS", "RENAME", "a"]],
      error("ERR Invalid number of arguments specified for command"),
    ],
    [
      "COMMAND GETKEYS no keys found",
      [["COMMAND", "GETKEYS", "OBJECT", "HELP"]],
      error("ERR Invalid arguments specified for command"),
    ],
    ["MEMORY USAGE missing", [["MEMORY", "USAGE", "nope"]], null],
    ["MEMORY USAGE arity", [["MEMORY", "USAGE"]], error("ERR wrong number of arguments for 'memory|usage' command")],
    [
      "MEMORY USAGE SAMPLES negative",
      [
        ["SET", "a", "1"],
        ["MEMORY", "USAGE", "a", "SAMPLES", "-1"],
      ],
      error("ERR syntax error"),
    ],
    [
      "MEMORY USAGE SAMPLES not integer",
      [
        ["SET", "a", "1"],
        ["MEMORY", "USAGE", "a", "SAMPLES", "x"],
      ],
      error("ERR value is not an integer or out of range"),
    ],
    [
      "MEMORY USAGE SAMPLES without count",
      [
        ["SET", "a", "1"],
        ["MEMORY", "USAGE", "a", "SAMPLES"],
      ],
      error("ERR syntax error"),
    ],
    [
      "MEMORY USAGE unknown option",
      [
        ["SET", "a", "1"],
        ["MEMORY", "USAGE", "a", "foo"],
      ],
      error("ERR syntax error"),
    ],
    ["MEMORY unknown subcommand", [["MEMORY", "doctorx"]], error("ERR unknown subcommand 'doctorx'. Try MEMORY HELP.")],
    ["MEMORY HELP arity", [["MEMORY", "HELP", "x"]], error("ERR wrong number of arguments for 'memory|help' command")],
    ["MEMORY arity", [["MEMORY"]], error("ERR wrong number of arguments for 'memory' command")],
  ];
  it.each(cases)("%s", (_name, commands, expected) => {
    const t = createTestStore();
    expect(runPlain(t, ...commands)).toEqual(expected);
  });
});

describe("TIME", () => {
  it.each([
    [1_700_000_123_456, ["1700000123", "456000"]],
    [1_700_000_000_000, ["1700000000", "0"]],
    [999, ["0", "999000"]],
  ])("at %d ms answers %j", (ms, expected) => {
    const t = createTestStore();
    t.clock.set(ms);
    expect(t.run("TIME")).toEqual(expected);
  });

  it("follows the manual clock", () => {
    const t = createTestStore();
    const [s1] = t.ok("TIME") as string[];
    t.clock.advance(5000);
    const [s2] = t.ok("TIME") as string[];
    expect(Number(s2) - Number(s1)).toBe(5);
  });
});

describe("COMMAND", () => {
  const infos = commandInfos();

  it("COUNT is the size of the command table", () => {
    const t = createTestStore();
    expect(t.run("COMMAND", "COUNT")).toBe(infos.length);
    expect(infos.length).toBeGreaterThan(30);
  });

  it("without a subcommand describes every command", () => {
    const t = createTestStore();
    const all = t.ok("COMMAND") as Reply[][];
    expect(all.length).toBe(infos.length);
    expect(all.map((c) => c[0])).toEqual(infos.map((i) => i.name.toLowerCase()));
    expect(plainReply(t.run("COMMAND", "INFO"))).toEqual(plainReply(all));
  });

  it("LIST names every command in lower case", () => {
    const t = createTestStore();
    expect(t.run("COMMAND", "LIST")).toEqual(infos.map((i) => i.name.toLowerCase()));
  });

  it("INFO describes a command as Redis 7 does (10 fields)", () => {
    const t = createTestStore();
    const [del, ttl, ping] = plainReply(t.run("COMMAND", "INFO", "DEL", "ttl", "Ping")) as unknown[][];
    expect(del).toEqual([
      "del",
      -2,
      [status("write")],
      1,
      -1,
      1,
      [status("@write"), status("@keyspace"), status("@slow")],
      [],
      [
        [
          "flags",
          [status("RW")],
          "begin_search",
          ["type", "index", "spec", ["index", 1]],
          "find_keys",
          ["type", "range", "spec", ["lastkey", -1, "keystep", 1, "limit", 0]],
        ],
      ],
      [],
    ]);
    expect(ttl?.slice(0, 7)).toEqual([
      "ttl",
      2,
      [status("readonly"), status("fast")],
      1,
      1,
      1,
      [status("@read"), status("@keyspace"), status("@fast")],
    ]);
    // Range key specs count lastkey from the first key (RENAME: first 1, last 2 → lastkey 1).
    const [rename] = plainReply(t.run("COMMAND", "INFO", "rename")) as unknown[][];
    const renameSpecs = (rename as unknown[])[8] as unknown[][];
    expect(renameSpecs[0]?.[5]).toEqual(["type", "range", "spec", ["lastkey", 1, "keystep", 1, "limit", 0]]);
    expect(ping?.slice(0, 6)).toEqual(["ping", -1, [status("fast")], 0, 0, 0]);
    expect(ping?.[8]).toEqual([]); // no keys, no key specs
  });

  it("LIST FILTERBY ACLCAT uses the derived categories", () => {
    const t = createTestStore();
    const read = t.ok("COMMAND", "LIST", "FILTERBY", "ACLCAT", "read") as string[];
    expect(read).toContain("get");
    expect(read).toContain("ttl");
    expect(read).not.toContain("set");
    const keyspace = t.ok("COMMAND", "LIST", "FILTERBY", "ACLCAT", "KEYSPACE") as string[];
    expect(keyspace).toContain("del");
    expect(keyspace).toContain("flushall");
    expect(keyspace).not.toContain("get");
    expect(t.run("COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch")).toEqual([]);
  });

  it("DOCS without names documents every command", () => {
    const t = createTestStore();
    const docs = t.ok("COMMAND", "DOCS") as Reply[];
    expect(docs.length).toBe(infos.length * 2);
    const i = docs.indexOf("expire");
    expect(plainReply(docs[i + 1] as Reply)).toEqual([
      "summary",
      "Set a key's time to live in seconds",
      "group",
      "generic",
      "complexity",
      "O(1)",
      "syntax",
      "EXPIRE key seconds [NX | XX | GT | LT]",
    ]);
  });

  it("HELP is an array of status lines", () => {
    const t = createTestStore();
    const help = t.ok("COMMAND", "HELP") as Reply[];
    expect(help.every((l) => l instanceof Status)).toBe(true);
    expect((help[0] as Status).text).toBe("COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
  });
});

describe("MEMORY USAGE", () => {
  it("grows with the key and the value, and counts a TTL", () => {
    const t = createTestStore();
    t.ok("SET", "k", "x");
    const small = t.ok("MEMORY", "USAGE", "k") as number;
    t.ok("SET", "k", "x".repeat(1000));
    const large = t.ok("MEMORY", "USAGE", "k") as number;
    expect(large - small).toBeGreaterThanOrEqual(992);
    expect(large - small).toBeLessThanOrEqual(1008);
    t.ok("SET", "a-much-longer-key-name-than-k", "x".repeat(1000));
    expect(t.ok("MEMORY", "USAGE", "a-much-longer-key-name-than-k")).toBeGreaterThan(large);
    t.ok("EXPIRE", "k", "100");
    expect(t.ok("MEMORY", "USAGE", "k")).toBeGreaterThan(large);
  });

  it("uses a container's memoryBytes()", () => {
    const t = createTestStore();
    putRaw(t, "empty", fakeContainer(0));
    putRaw(t, "full", fakeContainer(5000));
    const empty = t.ok("MEMORY", "USAGE", "empty") as number;
    expect(empty).toBeGreaterThan(0);
    expect(t.ok("MEMORY", "USAGE", "full", "SAMPLES", "0")).toBe(empty + 5000);
  });

  it("is nil for an expired key", () => {
    const t = createTestStore();
    t.ok("SET", "k", "v");
    t.ok("PEXPIRE", "k", "10");
    t.clock.advance(11);
    expect(t.run("MEMORY", "USAGE", "k")).toBe(null);
  });

  it("HELP lists USAGE", () => {
    const t = createTestStore();
    const text = (t.ok("MEMORY", "help") as Status[]).map((s) => s.text);
    expect(text).toContain("USAGE <key> [SAMPLES <count>]");
  });
});

describe("the command table", () => {
  const table: [name: string, arity: number, flags: string[], first: number, last: number, step: number][] = [
    ["PING", -1, ["fast"], 0, 0, 0],
    ["ECHO", 2, ["fast"], 0, 0, 0],
    ["TIME", 1, ["fast"], 0, 0, 0],
    ["COMMAND", -1, [], 0, 0, 0],
    ["MEMORY", -2, ["readonly"], 2, 2, 1],
  ];
  it.each(table)("%s", (name, arity, flags, first, last, step) => {
    const spec = createTestStore().store.commands.get(name);
    expect([spec?.arity, [...(spec?.flags ?? [])], spec?.firstKey, spec?.lastKey, spec?.step, spec?.group]).toEqual([
      arity,
      flags,
      first,
      last,
      step,
      "server",
    ]);
    expect(spec?.syntax.startsWith(name)).toBe(true);
  });
});
