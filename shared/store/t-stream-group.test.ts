import { describe, expect, it } from "vitest";
import type { StoreError } from "./errors.js";
import { OK, type Reply, Status } from "./reply.js";
import type { Arg } from "./store.js";
import type { StreamValue } from "./stream-value.js";
import { createTestStore, err, eventTriples, expectSameReply, peek, type TestStore } from "./testing.js";
import { decodeValue, encodeValue, ValueType } from "./value-codec.js";

function replyAfter(setup: Arg[][], command: Arg[]): { t: TestStore; reply: Reply } {
  const t = createTestStore();
  for (const c of setup) t.ok(...c);
  return { t, reply: t.run(...command) };
}

const e = (code: StoreError["code"], message = ""): StoreError => err(code, message);
const ERR = (text: string): StoreError => e("ERR", `ERR ${text}`);
const add = (id: string, v = "v"): Arg[] => ["XADD", "s", id, "f", v];
const entry = (id: string, v = "v"): Reply => [id, ["f", v]];
const STREAM3 = [add("1-1", "a"), add("2-1", "b"), add("3-1", "c")];
const G = ["XGROUP", "CREATE", "s", "g", "0"];
const READ = (c: string, ...opts: string[]): Arg[] => ["XREADGROUP", "GROUP", "g", c, ...opts, "STREAMS", "s", ">"];

describe("consumer groups: replies", () => {
  const cases: [name: string, setup: Arg[][], command: Arg[], expected: Reply][] = [
    ["XGROUP CREATE", STREAM3, G, OK],
    ["XGROUP CREATE twice", [...STREAM3, G], G, e("BUSYGROUP", "BUSYGROUP Consumer Group name already exists")],
    [
      "XGROUP CREATE on a missing key",
      [],
      G,
      ERR(
        "The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.",
      ),
    ],
    ["XGROUP CREATE MKSTREAM", [], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"], OK],
    [
      "XGROUP CREATE MKSTREAM makes an empty stream",
      [["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]],
      ["XLEN", "s"],
      0,
    ],
    [
      "XGROUP CREATE bad ENTRIESREAD",
      STREAM3,
      [...G, "ENTRIESREAD", "-2"],
      ERR("value for ENTRIESREAD must be positive or -1"),
    ],
    [
      "XGROUP CREATE bad option",
      STREAM3,
      [...G, "FOO"],
      ERR("unknown subcommand or wrong number of arguments for 'CREATE'. Try XGROUP HELP."),
    ],
    ["XGROUP CREATE WRONGTYPE", [["SET", "s", "x"]], G, e("WRONGTYPE")],
    [
      "XGROUP CREATE bad id",
      STREAM3,
      ["XGROUP", "CREATE", "s", "g", "x"],
      ERR("Invalid stream ID specified as stream command argument"),
    ],
    [
      "XGROUP unknown subcommand",
      [],
      ["XGROUP", "FOO", "s"],
      e("UNKNOWN_COMMAND", "ERR unknown subcommand 'FOO'. Try XGROUP HELP."),
    ],
    [
      "XGROUP CREATE arity",
      [],
      ["XGROUP", "CREATE", "s", "g"],
      e("WRONG_ARITY", "ERR wrong number of arguments for 'xgroup|create' command"),
    ],
    ["XGROUP SETID", [...STREAM3, G], ["XGROUP", "SETID", "s", "g", "$"], OK],
    [
      "XGROUP SETID missing group",
      STREAM3,
      ["XGROUP", "SETID", "s", "g", "0"],
      e("NOGROUP", "NOGROUP No such consumer group 'g' for key name 's'"),
    ],
    ["XGROUP DESTROY", [...STREAM3, G], ["XGROUP", "DESTROY", "s", "g"], 1],
    ["XGROUP DESTROY missing", STREAM3, ["XGROUP", "DESTROY", "s", "g"], 0],
    ["XGROUP CREATECONSUMER", [...STREAM3, G], ["XGROUP", "CREATECONSUMER", "s", "g", "c"], 1],
    [
      "XGROUP CREATECONSUMER again",
      [...STREAM3, G, ["XGROUP", "CREATECONSUMER", "s", "g", "c"]],
      ["XGROUP", "CREATECONSUMER", "s", "g", "c"],
      0,
    ],
    ["XGROUP DELCONSUMER counts its pending", [...STREAM3, G, READ("c")], ["XGROUP", "DELCONSUMER", "s", "g", "c"], 3],
    [
      "XGROUP HELP",
      [],
      ["XGROUP", "HELP", "x"],
      e("WRONG_ARITY", "ERR wrong number of arguments for 'xgroup|help' command"),
    ],
    [
      "XREADGROUP new entries",
      [...STREAM3, G],
      READ("c", "COUNT", "2"),
      [["s", [entry("1-1", "a"), entry("2-1", "b")]]],
    ],
    ["XREADGROUP nothing new is nil", [...STREAM3, G, READ("c")], READ("c"), null],
    [
      "XREADGROUP history",
      [...STREAM3, G, READ("c", "COUNT", "2")],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
      [["s", [entry("1-1", "a"), entry("2-1", "b")]]],
    ],
    [
      "XREADGROUP history of a deleted entry",
      [...STREAM3, G, READ("c"), ["XDEL", "s", "2-1"]],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "0"],
      [["s", [entry("1-1", "a"), ["2-1", null], entry("3-1", "c")]]],
    ],
    [
      "XREADGROUP NOACK leaves nothing pending",
      [...STREAM3, G, READ("c", "NOACK")],
      ["XPENDING", "s", "g"],
      [0, null, null, null],
    ],
    [
      "XREADGROUP missing group",
      STREAM3,
      READ("c"),
      e("NOGROUP", "NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"),
    ],
    [
      "XREADGROUP $",
      [...STREAM3, G],
      ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", "$"],
      ERR(
        "The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.",
      ),
    ],
    [
      "XREADGROUP without GROUP",
      [],
      ["XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">"],
      ERR("Missing GROUP option for XREADGROUP"),
    ],
    [
      "XREAD >",
      STREAM3,
      ["XREAD", "STREAMS", "s", ">"],
      ERR("The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."),
    ],
    [
      "XREAD GROUP",
      STREAM3,
      ["XREAD", "GROUP", "g", "c", "STREAMS", "s", "0"],
      ERR("The GROUP option is only supported by XREADGROUP. You called XREAD instead."),
    ],
    [
      "XREAD unbalanced",
      STREAM3,
      ["XREAD", "STREAMS", "s", "t", "0"],
      ERR("Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."),
    ],
    [
      "XREAD several keys",
      [...STREAM3, ["XADD", "t", "5-0", "f", "v"]],
      ["XREAD", "COUNT", "1", "STREAMS", "s", "t", "nokey", "1-1", "0", "0"],
      [
        ["s", [entry("2-1", "b")]],
        ["t", [entry("5-0")]],
      ],
    ],
    ["XREAD $ without BLOCK is nil", STREAM3, ["XREAD", "STREAMS", "s", "$"], null],
    ["XREAD negative BLOCK", STREAM3, ["XREAD", "BLOCK", "-1", "STREAMS", "s", "$"], ERR("timeout is negative")],
    [
      "XREAD bad BLOCK",
      STREAM3,
      ["XREAD", "BLOCK", "x", "STREAMS", "s", "$"],
      e("NOT_INTEGER", "ERR timeout is not an integer or out of range"),
    ],
    ["XACK", [...STREAM3, G, READ("c")], ["XACK", "s", "g", "1-1", "1-1", "9-9"], 1],
    ["XACK missing group answers 0 before parsing", STREAM3, ["XACK", "s", "g", "x"], 0],
    [
      "XACK bad id",
      [...STREAM3, G],
      ["XACK", "s", "g", "x"],
      ERR("Invalid stream ID specified as stream command argument"),
    ],
    [
      "XPENDING summary",
      [...STREAM3, G, READ("c", "COUNT", "1"), READ("d")],
      ["XPENDING", "s", "g"],
      [
        3,
        "1-1",
        "3-1",
        [
          ["c", "1"],
          ["d", "2"],
        ],
      ],
    ],
    ["XPENDING missing", [], ["XPENDING", "s", "g"], e("NOGROUP", "NOGROUP No such key 's' or consumer group 'g'")],
    ["XPENDING syntax", [...STREAM3, G], ["XPENDING", "s", "g", "-", "+"], e("SYNTAX")],
    ["XPENDING IDLE syntax", [...STREAM3, G], ["XPENDING", "s", "g", "IDLE", "5", "-", "+"], e("SYNTAX")],
    ["XPENDING unknown consumer", [...STREAM3, G, READ("c")], ["XPENDING", "s", "g", "-", "+", "10", "zz"], []],
    [
      "XCLAIM missing group",
      STREAM3,
      ["XCLAIM", "s", "g", "c", "0", "1-1"],
      e("NOGROUP", "NOGROUP No such key 's' or consumer group 'g'"),
    ],
    [
      "XCLAIM bad min-idle",
      [...STREAM3, G],
      ["XCLAIM", "s", "g", "c", "x", "1-1"],
      ERR("Invalid min-idle-time argument for XCLAIM"),
    ],
    [
      "XCLAIM bad option",
      [...STREAM3, G],
      ["XCLAIM", "s", "g", "c", "0", "1-1", "NOPE"],
      ERR("Unrecognized XCLAIM option 'NOPE'"),
    ],
    ["XCLAIM not pending", [...STREAM3, G], ["XCLAIM", "s", "g", "c", "0", "1-1"], []],
    ["XCLAIM FORCE", [...STREAM3, G], ["XCLAIM", "s", "g", "c", "0", "1-1", "FORCE", "JUSTID"], ["1-1"]],
    [
      "XCLAIM moves ownership",
      [...STREAM3, G, READ("a"), ["XCLAIM", "s", "g", "b", "0", "2-1"]],
      ["XPENDING", "s", "g"],
      [
        3,
        "1-1",
        "3-1",
        [
          ["a", "2"],
          ["b", "1"],
        ],
      ],
    ],
    [
      "XAUTOCLAIM",
      [...STREAM3, G, READ("a")],
      ["XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "2"],
      ["3-1", [entry("1-1", "a"), entry("2-1", "b")], []],
    ],
    [
      "XAUTOCLAIM reports deleted entries",
      [...STREAM3, G, READ("a"), ["XDEL", "s", "1-1"]],
      ["XAUTOCLAIM", "s", "g", "b", "0", "0", "JUSTID"],
      ["0-0", ["2-1", "3-1"], ["1-1"]],
    ],
    [
      "XAUTOCLAIM COUNT 0",
      [...STREAM3, G],
      ["XAUTOCLAIM", "s", "g", "b", "0", "0", "COUNT", "0"],
      ERR("COUNT must be > 0"),
    ],
    [
      "XINFO GROUPS",
      [...STREAM3, G, READ("c", "COUNT", "1")],
      ["XINFO", "GROUPS", "s"],
      [["name", "g", "consumers", 1, "pending", 1, "last-delivered-id", "1-1", "entries-read", 1, "lag", 2]],
    ],
    [
      "XINFO GROUPS lag unknown after XDEL",
      [...STREAM3, G, READ("c", "COUNT", "1"), ["XDEL", "s", "2-1"], ["XGROUP", "SETID", "s", "g", "1-1"]],
      ["XINFO", "GROUPS", "s"],
      [["name", "g", "consumers", 1, "pending", 1, "last-delivered-id", "1-1", "entries-read", null, "lag", null]],
    ],
    ["XINFO missing key", [], ["XINFO", "GROUPS", "s"], e("NO_SUCH_KEY", "ERR no such key")],
    [
      "XINFO CONSUMERS missing group",
      STREAM3,
      ["XINFO", "CONSUMERS", "s", "g"],
      e("NOGROUP", "NOGROUP No such consumer group 'g' for key name 's'"),
    ],
    [
      "XINFO STREAM bad option",
      STREAM3,
      ["XINFO", "STREAM", "s", "FOO"],
      ERR("unknown subcommand or wrong number of arguments for 'STREAM'. Try XINFO HELP."),
    ],
    [
      "XINFO STREAM",
      STREAM3,
      ["XINFO", "STREAM", "s"],
      [
        "length",
        3,
        "radix-tree-keys",
        1,
        "radix-tree-nodes",
        1,
        "last-generated-id",
        "3-1",
        "max-deleted-entry-id",
        "0-0",
        "entries-added",
        3,
        "recorded-first-entry-id",
        "1-1",
        "groups",
        0,
        "first-entry",
        entry("1-1", "a"),
        "last-entry",
        entry("3-1", "c"),
      ],
    ],
    [
      "XINFO unknown subcommand",
      [],
      ["XINFO", "FOO", "s"],
      e("UNKNOWN_COMMAND", "ERR unknown subcommand 'FOO'. Try XINFO HELP."),
    ],
    ["TYPE after MKSTREAM", [["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]], ["TYPE", "s"], new Status("stream")],
  ];
  it.each(cases)("%s", (_name, setup, command, expected) => {
    expectSameReply(replyAfter(setup, command).reply, expected);
  });
});

describe("consumer groups: semantics", () => {
  it("delivers each entry once per group, tracks delivery counts and idle times", () => {
    const t = createTestStore();
    for (const c of [...STREAM3, G]) t.ok(...c);
    expect(t.ok(...READ("a", "COUNT", "1"))).toEqual([["s", [entry("1-1", "a")]]]);
    expect(t.ok(...READ("b"))).toEqual([["s", [entry("2-1", "b"), entry("3-1", "c")]]]);
    t.clock.advance(500);
    expect(t.ok("XPENDING", "s", "g", "IDLE", "400", "-", "+", "10")).toEqual([
      ["1-1", "a", 500, 1],
      ["2-1", "b", 500, 1],
      ["3-1", "b", 500, 1],
    ]);
    t.ok("XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", "0");
    expect(t.ok("XPENDING", "s", "g", "-", "+", "10", "b")).toEqual([
      ["2-1", "b", 0, 2],
      ["3-1", "b", 0, 2],
    ]);
    expect(t.ok("XPENDING", "s", "g", "IDLE", "400", "-", "+", "10")).toEqual([["1-1", "a", 500, 1]]);
    expect(t.ok("XCLAIM", "s", "g", "c", "400", "1-1", "2-1", "JUSTID")).toEqual(["1-1"]);
    expect(t.ok("XINFO", "CONSUMERS", "s", "g")).toEqual([
      ["name", "a", "pending", 0, "idle", 500],
      ["name", "b", "pending", 2, "idle", 0],
      ["name", "c", "pending", 1, "idle", 0],
    ]);
  });

  it("emits Redis's events for group commands", () => {
    const t = createTestStore();
    for (const c of [...STREAM3, G]) t.ok(...c);
    t.events.length = 0;
    t.ok(...READ("a"));
    t.ok(...READ("a"));
    t.ok("XGROUP", "CREATECONSUMER", "s", "g", "b");
    t.ok("XCLAIM", "s", "g", "c", "0", "1-1");
    t.ok("XGROUP", "SETID", "s", "g", "0");
    t.ok("XGROUP", "DELCONSUMER", "s", "g", "a");
    t.ok("XGROUP", "DESTROY", "s", "g");
    expect(eventTriples(t)).toEqual([
      ["stream", "xgroup-createconsumer", "s"],
      ["stream", "xgroup-createconsumer", "s"],
      ["stream", "xgroup-createconsumer", "s"],
      ["stream", "xgroup-setid", "s"],
      ["stream", "xgroup-delconsumer", "s"],
      ["stream", "xgroup-destroy", "s"],
    ]);
  });

  it("persists groups, consumers and pending entries (round trip, strict)", () => {
    const t = createTestStore();
    for (const c of [
      ...STREAM3,
      G,
      READ("a", "COUNT", "2"),
      ["XGROUP", "CREATE", "s", "h", "$"],
      ["XGROUP", "CREATECONSUMER", "s", "h", "z"],
    ])
      t.ok(...c);
    const s = peek(t, "s") as StreamValue;
    const back = decodeValue(ValueType.STREAM, encodeValue(s).body) as StreamValue;
    const t2 = createTestStore();
    t2.store.repository.atomic(null, t2.clock.now(), (view) => view.put("s", back));
    for (const cmd of [
      ["XINFO", "GROUPS", "s"],
      ["XPENDING", "s", "g", "-", "+", "10"],
      ["XINFO", "CONSUMERS", "s", "h"],
    ]) {
      expect(t2.ok(...cmd)).toEqual(t.ok(...cmd));
    }
    // Two groups, the second with one consumer and nothing pending.
    const body = encodeValue(s).body;
    expect(() => decodeValue(ValueType.STREAM, body.subarray(0, body.length - 1))).toThrow();
  });

  it("a copy's groups are independent", () => {
    const t = createTestStore();
    for (const c of [...STREAM3, G]) t.ok(...c);
    t.ok("COPY", "s", "c");
    t.ok(...READ("a"));
    expect(t.ok("XPENDING", "c", "g")).toEqual([0, null, null, null]);
    expect((t.ok("XPENDING", "s", "g") as Reply[])[0]).toBe(3);
  });
});
