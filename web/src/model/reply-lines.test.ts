import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ReplySchema, type ReplySchema as RS } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";
import { countLines, quoteBytes, replyLines, takeLines } from "./reply-lines.js";

const enc = new TextEncoder();
const bulk = (s: string | Uint8Array): MessageInitShape<typeof RS> => ({
  kind: { case: "bulk", value: typeof s === "string" ? enc.encode(s) : s },
});
const arr = (...elements: MessageInitShape<typeof RS>[]): MessageInitShape<typeof RS> => ({
  kind: { case: "array", value: { elements } },
});
const reply = (init: MessageInitShape<typeof RS>) => create(ReplySchema, init);

describe("quoteBytes: bulk strings as redis-cli quotes them", () => {
  it.each<[number[] | string, string]>([
    [[0x00, 0x61], '"\\x00a"'],
    ['say "hi"\\', '"say \\"hi\\"\\\\"'],
    ["a\nb\r\tc", '"a\\nb\\r\\tc"'],
    [[0x07, 0x08, 0x7f, 0xff], '"\\a\\b\\x7f\\xff"'],
    ["café ✓", '"café ✓"'],
    [[0xc3, 0x28], '"\\xc3("'], // invalid UTF-8 stays bytes
    [[0xc2, 0x85], '"\\xc2\\x85"'], // a C1 control is not shown as a character
    ["", '""'],
  ])("%j -> %s", (input, expected) => {
    expect(quoteBytes(typeof input === "string" ? enc.encode(input) : Uint8Array.from(input))).toBe(expected);
  });
  it("cuts long values and says how long they are", () => {
    expect(quoteBytes(new Uint8Array(10_000).fill(0x61), 4)).toBe('"aaaa"… (10,000 bytes)');
  });
});

describe("replyLines: redis-cli's layout", () => {
  it("formats scalars", () => {
    expect([...replyLines(reply({ kind: { case: "nil", value: {} } }))]).toEqual(["(nil)"]);
    expect([...replyLines(reply({ kind: { case: "integer", value: 12345n } }))]).toEqual(["(integer) 12345"]);
    expect([...replyLines(reply({ kind: { case: "status", value: "OK" } }))]).toEqual(["OK"]);
    expect([...replyLines(reply(arr()))]).toEqual(["(empty array)"]);
  });
  it("nests arrays with indexes right-aligned to the widest", () => {
    const r = reply(
      arr(bulk("a"), arr(bulk("x"), arr(bulk("deep"))), ...Array.from({ length: 8 }, (_, i) => bulk(String(i)))),
    );
    const lines = [...replyLines(r)];
    expect(lines.slice(0, 4)).toEqual([' 1) "a"', ' 2) 1) "x"', '    2) 1) "deep"', ' 3) "0"']);
    expect(lines.at(-1)).toBe('10) "7"');
    expect(countLines(r)).toBe(lines.length);
  });
  it("takes the first lines of a huge reply without building the rest", () => {
    const r = reply({
      kind: { case: "array", value: { elements: Array.from({ length: 200_000 }, (_, i) => bulk(`v${i}`)) } },
    });
    expect(countLines(r)).toBe(200_000);
    expect(takeLines(r, 2)).toEqual(['     1) "v0"', '     2) "v1"']);
  });
});
