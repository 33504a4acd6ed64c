import { describe, expect, it } from "vitest";
import type { Bytes } from "./bytes.js";
import { commandKeys } from "./command.js";
import { OK, type Reply } from "./reply.js";
import { listCommands } from "./t-list.js";
import { createTestStore, deadlineOf, err, expectReply, expireIn, peek, putRaw, type TestStore } from "./testing.js";

/*
 * Expected replies were checked against a real Redis 7.0 (same commands, same setups).
 * Every case starts from: `l` = [a b c a b c a], `s` = a string, `e` = [x], nothing else.
 */

const WRONGTYPE = err("WRONGTYPE", "WRONGTYPE Operation against a key holding the wrong kind of value");
const NOT_INT = err("NOT_INTEGER", "ERR value is not an integer or out of range");
const SYNTAX = err("SYNTAX", "ERR syntax error");
const POSITIVE = err("NOT_INTEGER", "ERR value is out of range, must be positive");
const RANK_ZERO = err(
  "ERR",
  "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const arity = (name: string) => err("WRONG_ARITY", `ERR wrong number of arguments for '${name}' command`);

/** A store with the fixture every table case starts from. */
function fixture(): TestStore {
  const t = createTestStore();
  t.ok("RPUSH", "l", "a", "b", "c", "a", "b", "c", "a");
  t.ok("RPUSH", "e", "x");
  putRaw(t, "s", "str");
  t.events.length = 0;
  return t;
}

type Case = [command: string[], reply: Reply, after?: [key: string, elements: string[] | null]];

/** Runs table cases: the reply, then optionally the full content of one key afterwards (null: gone). */
function table(cases: Case[]): void {
  it.each(cases)("%j -> %j", (command, reply, after) => {
    const t = fixture();
    expectReply(t.run(...command), reply);
    if (after !== undefined) {
      const [key, elements] = after;
      if (elements === null) expect(peek(t, key)).toBeUndefined();
      else expect(t.ok("LRANGE", key, "0", "-1")).toEqual(elements);
    }
  });
}

const L = ["a", "b", "c", "a", "b", "c", "a"];

describe("LPUSH / RPUSH / LPUSHX / RPUSHX", () => {
  table([
    [["LPUSH", "n", "a", "b", "c"], 3, ["n", ["c", "b", "a"]]],
    [["RPUSH", "n", "a", "b", "c"], 3, ["n", ["a", "b", "c"]]],
    [["LPUSH", "l", "z"], 8, ["l", ["z", ...L]]],
    [["RPUSH", "l", "z", "y"], 9, ["l", [...L, "z", "y"]]],
    [["LPUSHX", "n", "a"], 0, ["n", null]],
    [["RPUSHX", "n", "a", "b"], 0, ["n", null]],
    [["LPUSHX", "e", "a", "b"], 3, ["e", ["b", "a", "x"]]],
    [["RPUSHX", "e", "a", "b"], 3, ["e", ["x", "a", "b"]]],
    [["RPUSH", "n", ""], 1, ["n", [""]]],
    [["LPUSH", "s", "a"], WRONGTYPE],
    [["RPUSH", "s", "a"], WRONGTYPE],
    [["LPUSHX", "s", "a"], WRONGTYPE],
    [["RPUSHX", "s", "a"], WRONGTYPE],
    [["LPUSH", "n"], arity("lpush")],
    [["RPUSHX", "n"], arity("rpushx")],
    [["lpush", "n", "a"], 1],
  ]);
});

describe("LPOP / RPOP", () => {
  table([
    [["LPOP", "l"], "a", ["l", L.slice(1)]],
    [["RPOP", "l"], "a", ["l", L.slice(0, -1)]],
    [
      ["LPOP", "l", "2"],
      ["a", "b"],
      ["l", L.slice(2)],
    ],
    [
      ["RPOP", "l", "3"],
      ["a", "c", "b"],
      ["l", L.slice(0, -3)],
    ],
    [["LPOP", "l", "100"], L, ["l", null]],
    [["RPOP", "l", "99999999999999999999"], POSITIVE],
    [["RPOP", "l", "9223372036854775807"], [...L].reverse(), ["l", null]],
    [["LPOP", "l", "0"], [], ["l", L]],
    [["RPOP", "e"], "x", ["e", null]],
    [["LPOP", "e", "1"], ["x"], ["e", null]],
    [["LPOP", "n"], null],
    [["RPOP", "n"], null],
    [["LPOP", "n", "0"], null],
    [["RPOP", "n", "5"], null],
    [["LPOP", "l", "-1"], POSITIVE],
    [["LPOP", "n", "-1"], POSITIVE],
    [["RPOP", "l", "abc"], POSITIVE],
    [["LPOP", "s"], WRONGTYPE],
    [["LPOP", "s", "0"], WRONGTYPE],
    [["RPOP", "s", "1"], WRONGTYPE],
    [["LPOP", "l", "1", "2"], arity("lpop")],
    [["RPOP", "l", "1", "2"], arity("rpop")],
    [["RPOP"], arity("rpop")],
  ]);
});

describe("LRANGE", () => {
  table([
    [["LRANGE", "l", "0", "-1"], L],
    [
      ["LRANGE", "l", "0", "2"],
      ["a", "b", "c"],
    ],
    [
      ["LRANGE", "l", "-3", "-1"],
      ["b", "c", "a"],
    ],
    [
      ["LRANGE", "l", "-100", "1"],
      ["a", "b"],
    ],
    [
      ["LRANGE", "l", "5", "100"],
      ["c", "a"],
    ],
    [["LRANGE", "l", "3", "2"], []],
    [["LRANGE", "l", "7", "10"], []],
    [["LRANGE", "l", "0", "-8"], []],
    [["LRANGE", "l", "-9223372036854775808", "9223372036854775807"], L],
    [["LRANGE", "n", "0", "-1"], []],
    [["LRANGE", "n", "a", "1"], NOT_INT],
    [["LRANGE", "l", "0", "1.5"], NOT_INT],
    [["LRANGE", "l", "0", "99999999999999999999"], NOT_INT],
    [["LRANGE", "s", "0", "1"], WRONGTYPE],
    [["LRANGE", "s", "x", "1"], NOT_INT],
    [["LRANGE", "l", "0"], arity("lrange")],
  ]);
});

describe("LLEN / LINDEX", () => {
  table([
    [["LLEN", "l"], 7],
    [["LLEN", "n"], 0],
    [["LLEN", "s"], WRONGTYPE],
    [["LINDEX", "l", "0"], "a"],
    [["LINDEX", "l", "2"], "c"],
    [["LINDEX", "l", "-1"], "a"],
    [["LINDEX", "l", "-2"], "c"],
    [["LINDEX", "l", "-7"], "a"],
    [["LINDEX", "l", "-8"], null],
    [["LINDEX", "l", "7"], null],
    [["LINDEX", "l", "-9223372036854775808"], null],
    [["LINDEX", "n", "0"], null],
    [["LINDEX", "n", "abc"], null],
    [["LINDEX", "l", "abc"], NOT_INT],
    [["LINDEX", "l", "99999999999999999999"], NOT_INT],
    [["LINDEX", "s", "0"], WRONGTYPE],
    [["LINDEX", "s", "abc"], WRONGTYPE],
  ]);
});

describe("LSET", () => {
  table([
    [["LSET", "l", "0", "z"], OK, ["l", ["z", ...L.slice(1)]]],
    [["LSET", "l", "-1", "z"], OK, ["l", [...L.slice(0, -1), "z"]]],
    [["LSET", "l", "3", ""], OK, ["l", ["a", "b", "c", "", "b", "c", "a"]]],
    [["LSET", "l", "7", "z"], err("INDEX_OUT_OF_RANGE", "ERR index out of range"), ["l", L]],
    [["LSET", "l", "-8", "z"], err("INDEX_OUT_OF_RANGE", "ERR index out of range")],
    [["LSET", "n", "0", "z"], err("NO_SUCH_KEY", "ERR no such key"), ["n", null]],
    [["LSET", "n", "abc", "z"], err("NO_SUCH_KEY", "ERR no such key")],
    [["LSET", "l", "abc", "z"], NOT_INT],
    [["LSET", "s", "0", "z"], WRONGTYPE],
    [["LSET", "s", "abc", "z"], WRONGTYPE],
  ]);
});

describe("LREM", () => {
  table([
    [["LREM", "l", "0", "a"], 3, ["l", ["b", "c", "b", "c"]]],
    [["LREM", "l", "1", "a"], 1, ["l", ["b", "c", "a", "b", "c", "a"]]],
    [["LREM", "l", "2", "b"], 2, ["l", ["a", "c", "a", "c", "a"]]],
    [["LREM", "l", "-1", "a"], 1, ["l", ["a", "b", "c", "a", "b", "c"]]],
    [["LREM", "l", "-2", "a"], 2, ["l", ["a", "b", "c", "b", "c"]]],
    [["LREM", "l", "-100", "c"], 2, ["l", ["a", "b", "a", "b", "a"]]],
    [["LREM", "l", "-9223372036854775808", "a"], 3, ["l", ["b", "c", "b", "c"]]],
    [["LREM", "l", "0", "z"], 0, ["l", L]],
    [["LREM", "l", "0", "A"], 0],
    [["LREM", "e", "0", "x"], 1, ["e", null]],
    [["LREM", "n", "0", "a"], 0],
    [["LREM", "l", "abc", "a"], NOT_INT],
    [["LREM", "n", "abc", "a"], NOT_INT],
    [["LREM", "s", "0", "a"], WRONGTYPE],
  ]);
});

describe("LTRIM", () => {
  table([
    [["LTRIM", "l", "0", "-1"], OK, ["l", L]],
    [["LTRIM", "l", "1", "2"], OK, ["l", ["b", "c"]]],
    [["LTRIM", "l", "-2", "-1"], OK, ["l", ["c", "a"]]],
    [["LTRIM", "l", "-100", "0"], OK, ["l", ["a"]]],
    [["LTRIM", "l", "5", "100"], OK, ["l", ["c", "a"]]],
    [["LTRIM", "l", "3", "2"], OK, ["l", null]],
    [["LTRIM", "l", "7", "9"], OK, ["l", null]],
    [["LTRIM", "l", "0", "-8"], OK, ["l", null]],
    [["LTRIM", "n", "0", "1"], OK, ["n", null]],
    [["LTRIM", "n", "a", "1"], NOT_INT],
    [["LTRIM", "l", "0", "b"], NOT_INT, ["l", L]],
    [["LTRIM", "s", "0", "1"], WRONGTYPE],
  ]);
});

describe("LINSERT", () => {
  table([
    [["LINSERT", "l", "BEFORE", "b", "z"], 8, ["l", ["a", "z", "b", "c", "a", "b", "c", "a"]]],
    [["LINSERT", "l", "after", "b", "z"], 8, ["l", ["a", "b", "z", "c", "a", "b", "c", "a"]]],
    [["LINSERT", "l", "Before", "a", "z"], 8, ["l", ["z", ...L]]],
    [["LINSERT", "l", "AFTER", "c", ""], 8, ["l", ["a", "b", "c", "", "a", "b", "c", "a"]]],
    [["LINSERT", "e", "AFTER", "x", "y"], 2, ["e", ["x", "y"]]],
    [["LINSERT", "l", "BEFORE", "zz", "x"], -1, ["l", L]],
    [["LINSERT", "n", "BEFORE", "a", "x"], 0, ["n", null]],
    [["LINSERT", "l", "middle", "a", "x"], SYNTAX],
    [["LINSERT", "n", "middle", "a", "x"], SYNTAX],
    [["LINSERT", "s", "middle", "a", "x"], SYNTAX],
    [["LINSERT", "s", "BEFORE", "a", "x"], WRONGTYPE],
    [["LINSERT", "l", "BEFORE", "a"], arity("linsert")],
  ]);
});

describe("LPOS", () => {
  table([
    [["LPOS", "l", "a"], 0],
    [["LPOS", "l", "c"], 2],
    [["LPOS", "l", "z"], null],
    [["LPOS", "l", "a", "RANK", "2"], 3],
    [["LPOS", "l", "a", "RANK", "3"], 6],
    [["LPOS", "l", "a", "RANK", "4"], null],
    [["LPOS", "l", "a", "RANK", "-1"], 6],
    [["LPOS", "l", "b", "RANK", "-2"], 1],
    [
      ["LPOS", "l", "a", "COUNT", "0"],
      [0, 3, 6],
    ],
    [
      ["LPOS", "l", "a", "COUNT", "2"],
      [0, 3],
    ],
    [["LPOS", "l", "z", "COUNT", "2"], []],
    [
      ["LPOS", "l", "a", "RANK", "-1", "COUNT", "0"],
      [6, 3, 0],
    ],
    [["LPOS", "l", "a", "RANK", "2", "COUNT", "2", "MAXLEN", "5"], [3]],
    [["LPOS", "l", "a", "MAXLEN", "3"], 0],
    [["LPOS", "l", "c", "MAXLEN", "2"], null],
    [["LPOS", "l", "c", "RANK", "-1", "MAXLEN", "2"], 5],
    [
      ["LPOS", "l", "a", "MAXLEN", "0", "COUNT", "0"],
      [0, 3, 6],
    ],
    [["LPOS", "l", "a", "rank", "1", "RANK", "-2"], 3],
    [
      ["LPOS", "l", "a", "COUNT", "9223372036854775807"],
      [0, 3, 6],
    ],
    [["LPOS", "l", "a", "RANK", "9223372036854775807"], null],
    [["LPOS", "l", "a", "RANK", "-9223372036854775808"], 6],
    [["LPOS", "l", "a", "MAXLEN", "99999999999999999999"], err("NOT_INTEGER", "ERR MAXLEN can't be negative")],
    [["LPOS", "n", "a"], null],
    [["LPOS", "n", "a", "COUNT", "0"], []],
    [["LPOS", "l", "a", "RANK", "0"], RANK_ZERO],
    [["LPOS", "s", "a", "RANK", "0"], RANK_ZERO],
    [["LPOS", "l", "a", "RANK", "abc"], NOT_INT],
    [["LPOS", "l", "a", "COUNT", "-1"], err("NOT_INTEGER", "ERR COUNT can't be negative")],
    [["LPOS", "l", "a", "COUNT", "abc"], err("NOT_INTEGER", "ERR COUNT can't be negative")],
    [["LPOS", "l", "a", "MAXLEN", "-1"], err("NOT_INTEGER", "ERR MAXLEN can't be negative")],
    [["LPOS", "l", "a", "RANK"], SYNTAX],
    [["LPOS", "n", "a", "foo"], SYNTAX],
    [["LPOS", "s", "a"], WRONGTYPE],
    [["LPOS", "l"], arity("lpos")],
  ]);
});

describe("LMOVE / RPOPLPUSH", () => {
  table([
    [["LMOVE", "l", "n", "LEFT", "RIGHT"], "a", ["n", ["a"]]],
    [["LMOVE", "l", "e", "RIGHT", "LEFT"], "a", ["e", ["a", "x"]]],
    [["LMOVE", "l", "e", "left", "right"], "a", ["l", L.slice(1)]],
    [["LMOVE", "l", "l", "LEFT", "RIGHT"], "a", ["l", [...L.slice(1), "a"]]],
    [["LMOVE", "l", "l", "RIGHT", "LEFT"], "a", ["l", ["a", ...L.slice(0, -1)]]],
    [["LMOVE", "l", "l", "LEFT", "LEFT"], "a", ["l", L]],
    [["LMOVE", "e", "e", "LEFT", "RIGHT"], "x", ["e", ["x"]]],
    [["LMOVE", "e", "n", "LEFT", "RIGHT"], "x", ["e", null]],
    [["LMOVE", "n", "l", "LEFT", "RIGHT"], null, ["n", null]],
    [["LMOVE", "n", "s", "LEFT", "RIGHT"], null],
    [["LMOVE", "l", "s", "LEFT", "RIGHT"], WRONGTYPE, ["l", L]],
    [["LMOVE", "s", "l", "LEFT", "RIGHT"], WRONGTYPE, ["l", L]],
    [["LMOVE", "l", "n", "UP", "LEFT"], SYNTAX, ["l", L]],
    [["LMOVE", "n", "l", "LEFT", "DOWN"], SYNTAX],
    [["LMOVE", "l", "n", "LEFT"], arity("lmove")],
    [["RPOPLPUSH", "l", "e"], "a", ["e", ["a", "x"]]],
    [["RPOPLPUSH", "l", "l"], "a", ["l", ["a", ...L.slice(0, -1)]]],
    [["RPOPLPUSH", "e", "n"], "x", ["e", null]],
    [["RPOPLPUSH", "n", "l"], null],
    [["RPOPLPUSH", "l", "s"], WRONGTYPE, ["l", L]],
    [["RPOPLPUSH", "s", "l"], WRONGTYPE],
  ]);
});

describe("LMPOP", () => {
  table([
    [
      ["LMPOP", "1", "l", "LEFT"],
      ["l", ["a"]],
      ["l", L.slice(1)],
    ],
    [
      ["LMPOP", "1", "l", "right", "COUNT", "3"],
      ["l", ["a", "c", "b"]],
      ["l", L.slice(0, -3)],
    ],
    [
      ["LMPOP", "2", "n", "l", "LEFT", "count", "2"],
      ["l", ["a", "b"]],
    ],
    [
      ["LMPOP", "2", "e", "l", "LEFT", "COUNT", "5"],
      ["e", ["x"]],
      ["e", null],
    ],
    [
      ["LMPOP", "2", "l", "e", "LEFT", "COUNT", "100"],
      ["l", L],
      ["l", null],
    ],
    [["LMPOP", "1", "n", "LEFT"], null],
    [["LMPOP", "2", "n", "s", "LEFT"], WRONGTYPE],
    [
      ["LMPOP", "2", "l", "s", "LEFT"],
      ["l", ["a"]],
    ],
    [["LMPOP", "0", "l", "LEFT"], err("NOT_INTEGER", "ERR numkeys should be greater than 0")],
    [["LMPOP", "-1", "l", "LEFT"], err("NOT_INTEGER", "ERR numkeys should be greater than 0")],
    [["LMPOP", "abc", "l", "LEFT"], err("NOT_INTEGER", "ERR numkeys should be greater than 0")],
    [["LMPOP", "5", "l", "LEFT"], SYNTAX],
    [["LMPOP", "1", "l", "MIDDLE"], SYNTAX],
    [["LMPOP", "1", "l", "LEFT", "COUNT", "0"], err("NOT_INTEGER", "ERR count should be greater than 0")],
    [["LMPOP", "1", "l", "LEFT", "COUNT", "abc"], err("NOT_INTEGER", "ERR count should be greater than 0")],
    [["LMPOP", "1", "l", "LEFT", "COUNT", "1", "COUNT", "1"], SYNTAX],
    [["LMPOP", "1", "l", "LEFT", "COUNT"], SYNTAX],
    [["LMPOP", "1", "l", "LEFT", "foo"], SYNTAX, ["l", L]],
    [["LMPOP", "1", "l"], arity("lmpop")],
  ]);
});

describe("keyspace events", () => {
  type Ev = [event: string, key: string, cls: string];
  const cases: [command: string[], events: Ev[]][] = [
    [["LPUSH", "n", "a", "b"], [["lpush", "n", "list"]]],
    [["RPUSH", "l", "a"], [["rpush", "l", "list"]]],
    [["LPUSHX", "n", "a"], []],
    [["RPUSHX", "e", "a"], [["rpush", "e", "list"]]],
    [["LPOP", "l"], [["lpop", "l", "list"]]],
    [["RPOP", "l", "2"], [["rpop", "l", "list"]]],
    [["LPOP", "l", "0"], []],
    [["LPOP", "n"], []],
    [
      ["RPOP", "e"],
      [
        ["rpop", "e", "list"],
        ["del", "e", "generic"],
      ],
    ],
    [["LSET", "l", "0", "z"], [["lset", "l", "list"]]],
    [["LSET", "l", "99", "z"], []],
    [["LREM", "l", "0", "a"], [["lrem", "l", "list"]]],
    [["LREM", "l", "0", "zz"], []],
    [
      ["LREM", "e", "0", "x"],
      [
        ["lrem", "e", "list"],
        ["del", "e", "generic"],
      ],
    ],
    [["LTRIM", "l", "0", "-1"], [["ltrim", "l", "list"]]],
    [
      ["LTRIM", "l", "9", "10"],
      [
        ["ltrim", "l", "list"],
        ["del", "l", "generic"],
      ],
    ],
    [["LTRIM", "n", "0", "1"], []],
    [["LINSERT", "l", "BEFORE", "a", "z"], [["linsert", "l", "list"]]],
    [["LINSERT", "l", "BEFORE", "zz", "z"], []],
    [
      ["LMOVE", "l", "e", "LEFT", "RIGHT"],
      [
        ["rpush", "e", "list"],
        ["lpop", "l", "list"],
      ],
    ],
    [
      ["LMOVE", "e", "n", "RIGHT", "LEFT"],
      [
        ["lpush", "n", "list"],
        ["rpop", "e", "list"],
        ["del", "e", "generic"],
      ],
    ],
    [
      ["LMOVE", "e", "e", "RIGHT", "LEFT"],
      [
        ["lpush", "e", "list"],
        ["rpop", "e", "list"],
      ],
    ],
    [
      ["RPOPLPUSH", "l", "n"],
      [
        ["lpush", "n", "list"],
        ["rpop", "l", "list"],
      ],
    ],
    [["LMPOP", "2", "n", "l", "RIGHT"], [["rpop", "l", "list"]]],
    [
      ["LMPOP", "1", "e", "LEFT", "COUNT", "3"],
      [
        ["lpop", "e", "list"],
        ["del", "e", "generic"],
      ],
    ],
    [["LRANGE", "l", "0", "-1"], []],
    [["LPOS", "l", "a"], []],
  ];
  it.each(cases)("%j emits %j", (command, expected) => {
    const t = fixture();
    t.run(...command);
    expect(t.events.map((e) => [e.event, e.key, e.class])).toEqual(expected);
  });
});

describe("empty lists leave the keyspace", () => {
  it.each([
    [["LPOP", "e"]],
    [["RPOP", "e", "5"]],
    [["LREM", "e", "1", "x"]],
    [["LTRIM", "e", "1", "-1"]],
    [["LMOVE", "e", "l", "LEFT", "LEFT"]],
    [["RPOPLPUSH", "e", "n"]],
    [["LMPOP", "1", "e", "RIGHT"]],
  ])("%j deletes the key", (command) => {
    const t = fixture();
    t.ok(...command);
    expect(peek(t, "e")).toBeUndefined();
    expect(t.ok("LLEN", "e")).toBe(0);
    expect(t.ok("LPUSHX", "e", "y")).toBe(0);
  });
});

describe("changes signal WATCH; reads and no-ops do not", () => {
  it.each([
    [["LPUSH", "l", "z"], true],
    [["RPUSHX", "l", "z"], true],
    [["LPOP", "l"], true],
    [["RPOP", "l", "2"], true],
    [["LSET", "l", "1", "z"], true],
    [["LREM", "l", "1", "a"], true],
    [["LTRIM", "l", "1", "-1"], true],
    [["LINSERT", "l", "BEFORE", "c", "z"], true],
    [["LMOVE", "e", "l", "LEFT", "LEFT"], true],
    [["LMOVE", "l", "e", "LEFT", "LEFT"], true],
    [["LMPOP", "1", "l", "LEFT"], true],
    [["LRANGE", "l", "0", "-1"], false],
    [["LINDEX", "l", "0"], false],
    [["LLEN", "l"], false],
    [["LPOS", "l", "a", "COUNT", "0"], false],
    [["LPOP", "l", "0"], false],
    [["LREM", "l", "0", "zz"], false],
    [["LINSERT", "l", "BEFORE", "zz", "z"], false],
    [["LSET", "l", "99", "z"], false],
  ])("%j -> %s", async (command, changed) => {
    const t = fixture();
    const handle = await t.store.watch(["l"]);
    t.run(...command);
    expect(handle.changed()).toBe(changed);
    handle.release();
  });
});

describe("TTL interplay", () => {
  it.each([
    [["LPUSH", "l", "z"]],
    [["RPUSH", "l", "z"]],
    [["LPUSHX", "l", "z"]],
    [["LPOP", "l"]],
    [["RPOP", "l", "2"]],
    [["LSET", "l", "0", "z"]],
    [["LREM", "l", "1", "a"]],
    [["LTRIM", "l", "0", "3"]],
    [["LINSERT", "l", "AFTER", "a", "z"]],
    [["LMOVE", "l", "l", "LEFT", "RIGHT"]],
    [["LMOVE", "e", "l", "LEFT", "RIGHT"]],
    [["LMPOP", "1", "l", "LEFT"]],
  ])("%j keeps the TTL of l", (command) => {
    const t = fixture();
    const at = expireIn(t, "l", 10_000);
    t.ok(...command);
    expect(deadlineOf(t, "l")).toBe(at);
  });

  it("an expired list is gone for every command, and pushes start a fresh list without a TTL", () => {
    const t = fixture();
    expireIn(t, "l", 1000);
    t.clock.advance(1001);
    expect(t.ok("LLEN", "l")).toBe(0);
    expect(t.ok("LPUSHX", "l", "z")).toBe(0);
    expect(t.ok("RPUSH", "l", "z")).toBe(1);
    expect(t.ok("LRANGE", "l", "0", "-1")).toEqual(["z"]);
    expect(deadlineOf(t, "l")).toBeUndefined();
  });

  it("a list still alive at its deadline answers; one past it does not", () => {
    const t = fixture();
    expireIn(t, "l", 1000);
    t.clock.advance(1000);
    expect(t.ok("LINDEX", "l", "0")).toBe("a");
    t.clock.advance(1);
    expect(t.ok("LINDEX", "l", "0")).toBeNull();
    expect(t.ok("LMOVE", "l", "e", "LEFT", "LEFT")).toBeNull();
    expect(t.events.some((e) => e.event === "expired" && e.key === "l")).toBe(true);
  });

  it("a list emptied by pops loses its key and its TTL", () => {
    const t = fixture();
    expireIn(t, "e", 10_000);
    expect(t.ok("RPOP", "e")).toBe("x");
    expect(deadlineOf(t, "e")).toBeUndefined();
    expect(t.ok("LPUSH", "e", "y")).toBe(1);
    expect(deadlineOf(t, "e")).toBeUndefined();
  });

  it("LMOVE into a key with a TTL keeps the destination's TTL", () => {
    const t = fixture();
    const at = expireIn(t, "e", 10_000);
    t.ok("LMOVE", "l", "e", "LEFT", "RIGHT");
    expect(deadlineOf(t, "e")).toBe(at);
    expect(t.ok("LRANGE", "e", "0", "-1")).toEqual(["x", "a"]);
  });
});

describe("large lists", () => {
  it("100k pushes and pops at both ends through commands", () => {
    const t = createTestStore();
    const n = 100_000;
    const batch = 1000;
    for (let i = 0; i < n; i += batch) {
      const heads = Array.from({ length: batch }, (_, k) => `h${i + k}`);
      const tails = Array.from({ length: batch }, (_, k) => `t${i + k}`);
      t.ok("LPUSH", "big", ...heads);
      t.ok("RPUSH", "big", ...tails);
    }
    expect(t.ok("LLEN", "big")).toBe(2 * n);
    expect(t.ok("LINDEX", "big", "0")).toBe(`h${n - 1}`);
    expect(t.ok("LINDEX", "big", "-1")).toBe(`t${n - 1}`);
    expect(t.ok("LINDEX", "big", String(n))).toBe("t0");
    expect(t.ok("LRANGE", "big", String(n - 2), String(n + 1))).toEqual(["h1", "h0", "t0", "t1"]);
    expect(t.ok("LPOS", "big", "t0")).toBe(n);
    expect(t.ok("LPOS", "big", "h0", "RANK", "-1")).toBe(n - 1);
    t.ok("LSET", "big", String(-n - 1), "mid");
    expect(t.ok("LINDEX", "big", String(n - 1))).toBe("mid");
    // Pop one at a time from both ends; plain comparisons keep the hot loop fast.
    let wrong = 0;
    for (let i = n - 1; i >= n / 2; i--) {
      if (t.ok("LPOP", "big") !== `h${i}`) wrong++;
      if (t.ok("RPOP", "big") !== `t${i}`) wrong++;
    }
    expect(wrong).toBe(0);
    expect(t.ok("LLEN", "big")).toBe(n);
    const head = t.ok("LPOP", "big", String(n / 2)) as Bytes[];
    expect(head.length).toBe(n / 2);
    expect(head[0]).toBe(`h${n / 2 - 1}`);
    expect(head[n / 2 - 1]).toBe("mid");
    const tail = t.ok("RPOP", "big", String(n)) as Bytes[];
    expect(tail.length).toBe(n / 2);
    expect(tail[0]).toBe(`t${n / 2 - 1}`);
    expect(tail[n / 2 - 1]).toBe("t0");
    expect(peek(t, "big")).toBeUndefined();
  });

  it("a queue rotated with RPOPLPUSH and trimmed stays in order", () => {
    const t = createTestStore();
    t.ok("RPUSH", "q", ...Array.from({ length: 1000 }, (_, i) => String(i)));
    for (let i = 0; i < 100; i++) t.ok("RPOPLPUSH", "q", "q");
    expect(t.ok("LINDEX", "q", "0")).toBe("900");
    expect(t.ok("LINDEX", "q", "-1")).toBe("899");
    t.ok("LTRIM", "q", "100", "-101");
    expect(t.ok("LLEN", "q")).toBe(800);
    expect(t.ok("LINDEX", "q", "0")).toBe("0");
  });
});

describe("binary safety", () => {
  it("keeps arbitrary bytes in keys and elements", () => {
    const t = createTestStore();
    const bin = new Uint8Array([0, 255, 13, 10, 128]);
    expect(t.ok("RPUSH", bin, bin, "é")).toBe(2);
    expect(t.ok("LRANGE", bin, "0", "-1")).toEqual(["\x00\xff\r\n\x80", "\xc3\xa9"]);
    expect(t.ok("LPOS", bin, "é")).toBe(1);
    expect(t.ok("LREM", bin, "0", bin)).toBe(1);
  });
});

describe("command table", () => {
  const names = listCommands.map((c) => c.name);

  it("registers the synchronous list commands; the blocking ones come from t-list-blocking.ts", () => {
    expect(names.sort()).toEqual(
      [
        "LINDEX",
        "LINSERT",
        "LLEN",
        "LMOVE",
        "LMPOP",
        "LPOP",
        "LPOS",
        "LPUSH",
        "LPUSHX",
        "LRANGE",
        "LREM",
        "LSET",
        "LTRIM",
        "RPOP",
        "RPOPLPUSH",
        "RPUSH",
        "RPUSHX",
      ].sort(),
    );
    const t = createTestStore();
    for (const blocking of ["BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BLMPOP"]) {
      expect(names).not.toContain(blocking);
      expect(t.store.commands.get(blocking)?.blocking).toBeDefined();
    }
    for (const name of names) expect(t.store.commands.get(name)?.name).toBe(name);
  });

  it.each(listCommands.map((c) => [c.name, c] as const))("%s is complete table data", (name, spec) => {
    expect(spec.group).toBe("list");
    expect(spec.syntax.startsWith(`${name} `)).toBe(true);
    expect(spec.summary.length).toBeGreaterThan(0);
    expect(spec.complexity.startsWith("O(")).toBe(true);
    expect(spec.flags.includes("write") !== spec.flags.includes("readonly")).toBe(true);
    expect(spec.firstKey).toBeGreaterThan(0);
  });

  it.each([
    ["LPUSH", ["LPUSH", "k", "a", "b"], ["k"]],
    ["LMOVE", ["LMOVE", "a", "b", "LEFT", "RIGHT"], ["a", "b"]],
    ["RPOPLPUSH", ["RPOPLPUSH", "a", "b"], ["a", "b"]],
    ["LMPOP", ["LMPOP", "2", "a", "b", "LEFT", "COUNT", "2"], ["a", "b"]],
    ["LMPOP", ["LMPOP", "1", "a", "RIGHT"], ["a"]],
    ["LMPOP", ["LMPOP", "9", "a", "RIGHT"], ["a", "RIGHT"]],
    ["LMPOP", ["LMPOP", "0", "a", "RIGHT"], []],
    ["LMPOP", ["LMPOP", "x", "a", "RIGHT"], []],
  ])("%s keys of %j", (name, argv, keys) => {
    const spec = listCommands.find((c) => c.name === name);
    expect(spec).toBeDefined();
    expect(commandKeys(spec as (typeof listCommands)[number], argv)).toEqual(keys);
  });

  it("applies the key-size limit to every LMPOP key", () => {
    const t = createTestStore({ limits: { maxKeyBytes: 4 } });
    expect(t.run("LMPOP", "2", "a", "toolong", "LEFT")).toMatchObject({ code: "LIMIT" });
    expect(t.run("LMPOP", "2", "a", "b", "LEFT")).toBeNull();
  });
});
