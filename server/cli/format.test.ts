import { create } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { type Reply, ReplySchema } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { prettyReply, rawReply } from "./format.js";

/** A reply tree from plain data: null nil, bigint integer, string bulk, `{ s }` status, arrays. */
type Plain = null | bigint | string | { s: string } | Plain[];
function reply(p: Plain): Reply {
  if (p === null) return create(ReplySchema, { kind: { case: "nil", value: {} } });
  if (typeof p === "bigint") return create(ReplySchema, { kind: { case: "integer", value: p } });
  if (typeof p === "string") return create(ReplySchema, { kind: { case: "bulk", value: new TextEncoder().encode(p) } });
  if (Array.isArray(p)) return create(ReplySchema, { kind: { case: "array", value: { elements: p.map(reply) } } });
  return create(ReplySchema, { kind: { case: "status", value: p.s } });
}

// Expected outputs are redis-cli 7.0's own (`redis-cli --no-raw` and `--raw`) for the same replies.
const XRANGE: Plain = [
  ["1-1", ["f", "v", "g", "w"]],
  ["2-1", ["a", "b"]],
];
const XAUTOCLAIM: Plain = ["0-0", XRANGE, []];
const XINFO_GROUPS: Plain = [
  ["name", "g", "consumers", 1n, "pending", 2n, "last-delivered-id", "2-1", "entries-read", 2n, "lag", 0n],
];

describe("the CLI prints replies as redis-cli 7.0", () => {
  it("streams: entries nested under their index", () => {
    expect(prettyReply(reply([["s", XRANGE]]))).toEqual([
      '1) 1) "s"',
      '   2) 1) 1) "1-1"',
      '         2) 1) "f"',
      '            2) "v"',
      '            3) "g"',
      '            4) "w"',
      '      2) 1) "2-1"',
      '         2) 1) "a"',
      '            2) "b"',
    ]);
  });

  it("a nested array of ten or more elements pads its indexes, and its parent's prefix with them", () => {
    expect(prettyReply(reply(XINFO_GROUPS))).toEqual([
      '1)  1) "name"',
      '    2) "g"',
      '    3) "consumers"',
      "    4) (integer) 1",
      '    5) "pending"',
      "    6) (integer) 2",
      '    7) "last-delivered-id"',
      '    8) "2-1"',
      '    9) "entries-read"',
      "   10) (integer) 2",
      '   11) "lag"',
      "   12) (integer) 0",
    ]);
  });

  it("empty arrays and nils, nested or not", () => {
    expect(prettyReply(reply(XAUTOCLAIM)).slice(-1)).toEqual(["3) (empty array)"]);
    expect(prettyReply(reply([]))).toEqual(["(empty array)"]);
    expect(prettyReply(reply(null))).toEqual(["(nil)"]);
    expect(prettyReply(reply([null, "1"]))).toEqual(["1) (nil)", '2) "1"']);
  });

  it("--raw: one line per leaf, an empty array an empty line where it stands", () => {
    expect(rawReply(reply(XAUTOCLAIM))).toEqual(["0-0", "1-1", "f", "v", "g", "w", "2-1", "a", "b", ""]);
    expect(rawReply(reply([]))).toEqual([""]);
    expect(rawReply(reply(null))).toEqual([""]);
    expect(rawReply(reply(["a", [], [[]], "b"]))).toEqual(["a", "", "", "b"]);
    expect(rawReply(reply([{ s: "OK" }, 2n]))).toEqual(["OK", "2"]);
  });
});
