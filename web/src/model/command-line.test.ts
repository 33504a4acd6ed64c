import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type CommandInfo, CommandInfoSchema } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";
import { completeCommand, isWrite, tokenize } from "./command-line.js";

const hex = (args: Uint8Array[]) => args.map((a) => Array.from(a, (b) => b.toString(16).padStart(2, "0")).join(""));
const utf8 = (s: string) => hex([new TextEncoder().encode(s)])[0];

describe("tokenize", () => {
  // Each case was checked against redis-cli 7.0 (lines piped to `redis-cli ECHO …`).
  it.each<[string, string[]]>([
    ["", []],
    ["   \t ", []],
    ["SET k v", ["SET", "k", "v"]],
    ["  GET   key  ", ["GET", "key"]],
    ["a\tb\nc\rd", ["a", "b", "c", "d"]],
    ['SET k "hello world"', ["SET", "k", "hello world"]],
    ["SET k 'hello world'", ["SET", "k", "hello world"]],
    ['ECHO a"b c"', ["ECHO", "ab c"]],
    ["ECHO a'b'", ["ECHO", "ab"]],
    ['ECHO ""', ["ECHO", ""]],
    ["ECHO ''", ["ECHO", ""]],
    ['ECHO "\\n\\r\\t\\b\\a"', ["ECHO", "\n\r\t\b\x07"]],
    ['ECHO "\\q\\"\\\\"', ["ECHO", 'q"\\']],
    ['ECHO "\\x4"', ["ECHO", "x4"]],
    ['ECHO "\\xZZ"', ["ECHO", "xZZ"]],
    ["ECHO 'x\\'y'", ["ECHO", "x'y"]],
    ["ECHO 'a\\nb'", ["ECHO", "a\\nb"]],
    ["ECHO 'a\"b'", ["ECHO", 'a"b']],
    ['ECHO "it\'s"', ["ECHO", "it's"]],
    ["ECHO é 😀", ["ECHO", "é", "😀"]],
    ['ECHO "é😀"', ["ECHO", "é😀"]],
    ["ECHO \u00a0x", ["ECHO", "\u00a0x"]], // redis-cli splits on ASCII whitespace only
  ])("%j splits as redis-cli does", (line, expected) => {
    expect(hex(tokenize(line))).toEqual(expected.map(utf8));
  });

  it.each<[string, string[]]>([
    ['ECHO "\\x00"', ["00"]],
    ['ECHO "\\xff"', ["ff"]],
    ['ECHO "\\xFF\\x80"', ["ff80"]],
    ['ECHO "a\\x00b\\xffc"', ["610062ff63"]],
    ['ECHO "\\xc3\\xa9"', ["c3a9"]], // the UTF-8 of é, spelled as bytes
    ['ECHO "é\\x00"', ["c3a900"]],
  ])("%j: \\xHH is one raw byte, never a character", (line, [expected]) => {
    const args = tokenize(line);
    expect(args).toHaveLength(2);
    expect(args[1]).toBeInstanceOf(Uint8Array);
    expect(hex(args)[1]).toBe(expected);
  });

  it.each([
    ['ECHO "abc'],
    ["ECHO 'abc"],
    ['ECHO "ab"c'],
    ["ECHO 'ab'c"],
    ['ECHO a"b c"d'],
    ["ECHO 'a\\\\'"], // \\ is not an escape in single quotes, so the quote after it is escaped
    ['ECHO "a\\'],
  ])("%j is rejected like redis-cli's Invalid argument(s)", (line) => {
    expect(() => tokenize(line)).toThrow("unbalanced quotes");
  });
});

const info = (name: string, flags: string[] = []): CommandInfo => create(CommandInfoSchema, { name, flags });
const table = [info("GET", ["readonly"]), info("GETEX", ["write"]), info("GETDEL", ["write"]), info("SET", ["write"])];

describe("completeCommand", () => {
  it.each<[string, string[]]>([
    ["g", ["GET", "GETEX", "GETDEL"]],
    ["GETd", ["GETDEL"]],
    ["  se", ["SET"]],
    ["", []],
    ["   ", []],
    ["x", []],
    ["GET k", []], // past the command name: no completion
  ])("%j completes to %j", (typed, names) => {
    expect(completeCommand(table, typed).map((c) => c.name)).toEqual(names);
  });

  it("stops at the limit, shortest first", () => {
    expect(completeCommand(table, "G", 2).map((c) => c.name)).toEqual(["GET", "GETEX"]);
  });
});

describe("isWrite", () => {
  it.each<[CommandInfo | undefined, boolean]>([
    [info("GET", ["readonly", "fast"]), false],
    [info("SET", ["write", "denyoom"]), true],
    [info("CONFIG", ["admin"]), true],
    [undefined, false],
  ])("%o is a write: %s", (c, expected) => {
    expect(isWrite(c)).toBe(expected);
  });
});
