/**
 * Typed replies over gRPC-Web and Connect (binary), written by the reflection-free writer.
 *
 * connect-fastify serializes a unary reply with protobuf-es's `toBinary`, which reflects over
 * every element: for a typed reply of 100,000 members (`SRandMember -100000`) that blocked the
 * server ~0.2–0.35 s. The gRPC lanes already write with `fastToBinary`
 * (protobuf-fast-writer.ts, byte-identical). For the other binary protocols this interceptor,
 * outermost (the others see the reply as it was), writes the reply once with that writer and
 * hands connect a zero message of the same type whose only content is those bytes as an unknown
 * field: the bytes' first tag becomes the unknown field's number and wire type, the rest its
 * data, and `toBinary` writes an unknown field back as its tag then its data, i.e. exactly the
 * bytes. JSON calls and streams are left alone.
 */
import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { isBinaryCall } from "../../shared/api/wire-format.js";
import { fastToBinary } from "./protobuf-fast-writer.js";

/**
 * A message `toBinary` writes as the bytes `fastToBinary(desc, message)` gives (which are those
 * `toBinary(desc, message)` gives), without reflecting over its fields.
 */
export function preEncodedMessage(desc: DescMessage, message: Message): Message {
  const bytes = fastToBinary(desc, message);
  const out = create(desc) as Message;
  if (bytes.byteLength === 0) return out;
  let tag = 0;
  let p = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[p++] as number;
    tag += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) break;
  }
  out.$unknown = [{ no: Math.floor(tag / 8), wireType: tag % 8, data: bytes.subarray(p) }];
  return out;
}

/** Writes each unary binary reply with {@link preEncodedMessage} (put it first: outermost). */
export const binaryReplyInterceptor: Interceptor = (next) => async (req) => {
  const res = await next(req);
  if (res.stream || !isBinaryCall(req.header)) return res;
  // Replaced in place: the response's headers and trailers stay the objects connect copies.
  (res as { message: Message }).message = preEncodedMessage(res.method.output, res.message);
  return res;
};
