import { create, equals, type MessageInitShape, toBinary } from "@bufbuild/protobuf";
import { describe, expect, it } from "vitest";
import { ReplySchema } from "../gen/memorabilia/v1/command_service_pb.js";
import { bytesToArray } from "../store/bytes.js";
import { StoreError } from "../store/errors.js";
import { type Reply, Status } from "../store/reply.js";
import { errorText } from "./error-map.js";
import { replyMessage } from "./reply-message.js";

/** The init shape of a reply, as `create` takes it: what replyMessage used to return. */
function init(reply: Reply): MessageInitShape<typeof ReplySchema> {
  if (reply === null) return { kind: { case: "nil", value: {} } };
  if (typeof reply === "number" || typeof reply === "bigint")
    return { kind: { case: "integer", value: BigInt(reply) } };
  if (typeof reply === "string") return { kind: { case: "bulk", value: bytesToArray(reply) } };
  if (reply instanceof Status) return { kind: { case: "status", value: reply.text } };
  if (reply instanceof StoreError) {
    return { kind: { case: "error", value: { code: reply.code, message: errorText(reply.message) } } };
  }
  return { kind: { case: "array", value: { elements: reply.map(init) } } };
}

const replies: Reply[] = [
  null,
  0,
  -1,
  Number.MAX_SAFE_INTEGER,
  2n ** 63n - 1n,
  -(2n ** 63n),
  "",
  "abc",
  "\x00\xff\xc3\x28", // binary, not UTF-8
  new Status("OK"),
  new Status(""),
  new StoreError("WRONGTYPE"),
  new StoreError("SYNTAX", "ERR syntax error \xc3\x8b"),
  [],
  [null, [], [[]]],
  ["a", 1, null, new Status("QUEUED"), new StoreError("NOT_INTEGER"), ["nested", [2n, ""]]],
  Array.from({ length: 1000 }, (_, i) => (i % 3 === 0 ? `member:${i}` : i % 3 === 1 ? i : [String(i), null])),
];

describe("replyMessage", () => {
  it("builds the same message create() builds from the reply's init shape, so create() keeps it as is", () => {
    for (const reply of replies) {
      const built = replyMessage(reply);
      const expected = create(ReplySchema, init(reply));
      expect(built).toStrictEqual(expected);
      expect(equals(ReplySchema, built, expected)).toBe(true);
      expect(create(ReplySchema, built)).toBe(built);
      expect(toBinary(ReplySchema, built)).toEqual(toBinary(ReplySchema, expected));
    }
  });

  it("refuses a non-integral number (a core bug, not a reply shape)", () => {
    expect(() => replyMessage([1.5])).toThrow(TypeError);
  });
});
