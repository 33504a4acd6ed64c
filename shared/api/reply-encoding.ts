/**
 * A store reply written straight to the binary form of the API's `Reply` message, for the binary
 * protocols (gRPC, gRPC-Web, Connect with protobuf); JSON takes {@link replyMessage}'s tree.
 *
 * Through messages, an array reply of 100,000 bulk strings costs 100,000 `Reply` objects, their
 * oneof wrappers and a `Uint8Array` each, then a walk of the tree to size and write it: about a
 * third of a second of a blocked event loop on the bundled server, mostly allocation and garbage
 * collection. Here the common kinds (bulk, non-negative integer, nil, array) are sized and then
 * copied byte by byte from the store's byte strings into one buffer, with no object per element;
 * the rare ones (statuses, errors, negative or 64-bit integers) are written by `toBinary` of
 * their {@link replyMessage}, so each kind has one definition of its message. The bytes are
 * those `toBinary(ReplySchema, replyMessage(reply))` writes (reply-encoding.test.ts).
 */
import { toBinary } from "@bufbuild/protobuf";
import { WireType } from "@bufbuild/protobuf/wire";
import { type ExecuteResponse, ReplySchema } from "../gen/memorabilia/v1/command_service_pb.js";
import type { Reply } from "../store/reply.js";
import { replyMessage } from "./reply-message.js";

// Tags (field number << 3 | wire type) of Reply.nil (1), .integer (2), .bulk (3), .array (6),
// and ArrayReply.elements (1).
const TAG_NIL = 0x0a;
const TAG_INTEGER = 0x10;
const TAG_BULK = 0x1a;
const TAG_ARRAY = 0x32;
const TAG_ELEMENT = 0x0a;

/** ExecuteResponse.reply. */
const EXECUTE_REPLY_FIELD = 1;

// Side tables of the sizing pass, read back in the same (pre-)order by the writing pass: the body
// size of each array, the bytes of each rare reply. One reply is encoded at a time (synchronous).
const arrayBodies: number[] = [];
let arrayCount = 0;
let arrayRead = 0;
const rare: (Uint8Array | undefined)[] = [];
let rareCount = 0;
let rareRead = 0;

/** The size of a varint of a non-negative safe integer. */
function varintSize(n: number): number {
  let size = 1;
  while (n >= 128) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

const isPlainInteger = (reply: number): boolean => reply >= 0 && Number.isSafeInteger(reply);

/** The size of the `Reply` message of `reply`, recording what the writing pass needs. */
function sizeOf(reply: Reply): number {
  if (typeof reply === "string") return 1 + varintSize(reply.length) + reply.length;
  if (reply === null) return 2;
  if (typeof reply === "number" && isPlainInteger(reply)) return 1 + varintSize(reply);
  if (Array.isArray(reply)) {
    const at = arrayCount++;
    let body = 0;
    for (let i = 0; i < reply.length; i++) {
      const n = sizeOf(reply[i] as Reply);
      body += 1 + varintSize(n) + n;
    }
    arrayBodies[at] = body;
    return 1 + varintSize(body) + body;
  }
  const bytes = toBinary(ReplySchema, replyMessage(reply));
  rare[rareCount++] = bytes;
  return bytes.byteLength;
}

/** The size {@link sizeOf} found for `reply`, read from the side tables without consuming them. */
function sizeAgain(reply: Reply): number {
  if (Array.isArray(reply)) {
    const body = arrayBodies[arrayRead] as number;
    return 1 + varintSize(body) + body;
  }
  if (typeof reply === "string") return 1 + varintSize(reply.length) + reply.length;
  if (reply === null) return 2;
  if (typeof reply === "number" && isPlainInteger(reply)) return 1 + varintSize(reply);
  return (rare[rareRead] as Uint8Array).byteLength;
}

function writeVarint(buf: Uint8Array, p: number, n: number): number {
  while (n >= 128) {
    buf[p++] = (n % 128) | 128;
    n = Math.floor(n / 128);
  }
  buf[p++] = n;
  return p;
}

/** Writes the `Reply` message of `reply` at `p`; returns the position after it. */
function write(buf: Uint8Array, p: number, reply: Reply): number {
  if (typeof reply === "string") {
    const n = reply.length;
    buf[p++] = TAG_BULK;
    p = writeVarint(buf, p, n);
    for (let i = 0; i < n; i++) buf[p++] = reply.charCodeAt(i);
    return p;
  }
  if (reply === null) {
    buf[p++] = TAG_NIL;
    buf[p++] = 0;
    return p;
  }
  if (typeof reply === "number" && isPlainInteger(reply)) {
    buf[p++] = TAG_INTEGER;
    return writeVarint(buf, p, reply);
  }
  if (Array.isArray(reply)) {
    buf[p++] = TAG_ARRAY;
    p = writeVarint(buf, p, arrayBodies[arrayRead++] as number);
    for (let i = 0; i < reply.length; i++) {
      const element = reply[i] as Reply;
      buf[p++] = TAG_ELEMENT;
      p = writeVarint(buf, p, sizeAgain(element));
      p = write(buf, p, element);
    }
    return p;
  }
  const bytes = rare[rareRead++] as Uint8Array;
  buf.set(bytes, p);
  return p + bytes.byteLength;
}

/** The binary `Reply` message of a store reply: the bytes `toBinary(ReplySchema, replyMessage(reply))` gives. */
export function encodeReply(reply: Reply): Uint8Array {
  return encode(reply, false);
}

/** The reply's bytes, after their length as a varint when `delimited` (a length-delimited field's value). */
function encode(reply: Reply, delimited: boolean): Uint8Array {
  arrayCount = 0;
  arrayRead = 0;
  rareCount = 0;
  rareRead = 0;
  try {
    const size = sizeOf(reply);
    const prefix = delimited ? varintSize(size) : 0;
    const buf = new Uint8Array(prefix + size);
    if (delimited) writeVarint(buf, 0, size);
    if (write(buf, prefix, reply) !== prefix + size) throw new Error("reply encoding: size mismatch"); // a core bug
    return buf;
  } finally {
    for (let i = 0; i < rareCount; i++) rare[i] = undefined; // not kept past the reply
  }
}

/**
 * An ExecuteResponse whose `reply` is {@link encodeReply}'s bytes, carried as an unknown field
 * (protobuf-es writes unknown fields back verbatim): a binary serializer sends exactly the bytes
 * of `{ reply: replyMessage(reply) }`, and the client decodes an ordinary `reply`. JSON would drop
 * the field: JSON calls must get {@link replyMessage}'s tree.
 */
export function preEncodedExecuteResponse(reply: Reply): ExecuteResponse {
  // An unknown length-delimited field's data holds its length, then its bytes.
  const data = encode(reply, true);
  return {
    $typeName: "memorabilia.v1.ExecuteResponse",
    $unknown: [{ no: EXECUTE_REPLY_FIELD, wireType: WireType.LengthDelimited, data }],
  };
}
