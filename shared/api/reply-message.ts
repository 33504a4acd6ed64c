/**
 * A store reply as the API's typed `Reply` message tree (CommandService.Execute).
 *
 * The tree is built as messages, not as an init shape for `create`: `create` would walk it again
 * through reflection, element by element (for an array reply of 100,000 elements about as long as
 * building it). Each node is exactly what `create(ReplySchema, …)` makes of the same value (a
 * proto3 message is a plain object with its `$typeName` and its fields; reply-message.test.ts
 * compares the two), and `create` returns a message it is given as is.
 */
import { create } from "@bufbuild/protobuf";
import {
  type ArrayReply,
  ErrorReplySchema,
  NilReplySchema,
  type Reply as ReplyMessage,
} from "../gen/memorabilia/v1/command_service_pb.js";
import { bytesToArray } from "../store/bytes.js";
import { StoreError } from "../store/errors.js";
import { type Reply, Status } from "../store/reply.js";
import { errorText } from "./error-map.js";

const REPLY = "memorabilia.v1.Reply";
const ARRAY = "memorabilia.v1.ArrayReply";

/** The `Reply` message for a store reply: nil, integer, bulk, status, array, or an error in an array. */
export function replyMessage(reply: Reply): ReplyMessage {
  if (typeof reply === "string") return { $typeName: REPLY, kind: { case: "bulk", value: bytesToArray(reply) } };
  if (reply === null) return { $typeName: REPLY, kind: { case: "nil", value: create(NilReplySchema) } };
  if (typeof reply === "number") {
    // Integer replies are integral; a non-integral number would be a core bug, not a reply shape.
    if (!Number.isSafeInteger(reply)) throw new TypeError(`integer reply ${reply} is not an integer`);
    return { $typeName: REPLY, kind: { case: "integer", value: BigInt(reply) } };
  }
  if (typeof reply === "bigint") return { $typeName: REPLY, kind: { case: "integer", value: reply } };
  if (reply instanceof Status) return { $typeName: REPLY, kind: { case: "status", value: reply.text } };
  if (reply instanceof StoreError) {
    const value = create(ErrorReplySchema, { code: reply.code, message: errorText(reply.message) });
    return { $typeName: REPLY, kind: { case: "error", value } };
  }
  const elements = new Array<ReplyMessage>(reply.length);
  for (let i = 0; i < reply.length; i++) elements[i] = replyMessage(reply[i] as Reply);
  const array: ArrayReply = { $typeName: ARRAY, elements };
  return { $typeName: REPLY, kind: { case: "array", value: array } };
}
