/**
 * A store reply as the API's typed `Reply` message tree (CommandService.Execute).
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ReplySchema } from "../gen/memorabilia/v1/command_service_pb.js";
import { bytesToArray } from "../store/bytes.js";
import { StoreError } from "../store/errors.js";
import { type Reply, Status } from "../store/reply.js";
import { errorText } from "./error-map.js";

/** The `Reply` message for a store reply: nil, integer, bulk, status, array, or an error in an array. */
export function replyMessage(reply: Reply): MessageInitShape<typeof ReplySchema> {
  if (reply === null) return { kind: { case: "nil", value: {} } };
  if (typeof reply === "number") {
    // Integer replies are integral; a non-integral number would be a core bug, not a reply shape.
    if (!Number.isSafeInteger(reply)) throw new TypeError(`integer reply ${reply} is not an integer`);
    return { kind: { case: "integer", value: BigInt(reply) } };
  }
  if (typeof reply === "bigint") return { kind: { case: "integer", value: reply } };
  if (typeof reply === "string") return { kind: { case: "bulk", value: bytesToArray(reply) } };
  if (reply instanceof Status) return { kind: { case: "status", value: reply.text } };
  if (reply instanceof StoreError) {
    return { kind: { case: "error", value: { code: reply.code, message: errorText(reply.message) } } };
  }
  return { kind: { case: "array", value: { elements: reply.map(replyMessage) } } };
}
