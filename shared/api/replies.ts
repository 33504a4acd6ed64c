/**
 * Store replies -> response fields. A reply of an unexpected shape is a bug (the service and the
 * command disagree) and raises a TypeError, which the error mapping reports as INTERNAL and logs.
 */
import { bytesToArray, bytesToUtf8 } from "../store/bytes.js";
import { type Reply, Status } from "../store/reply.js";

function shape(expected: string, reply: Reply): TypeError {
  const got = reply === null ? "nil" : Array.isArray(reply) ? "array" : typeof reply;
  return new TypeError(`expected ${expected} reply, got ${got}`);
}

/** An integer reply as int64. */
export function int64Of(reply: Reply): bigint {
  if (typeof reply === "number") return BigInt(reply);
  if (typeof reply === "bigint") return reply;
  throw shape("an integer", reply);
}

/** An integer reply 0/1 as a boolean. */
export function boolOf(reply: Reply): boolean {
  return int64Of(reply) !== 0n;
}

/** A bulk reply as bytes. */
export function bytesOf(reply: Reply): Uint8Array {
  if (typeof reply === "string") return bytesToArray(reply);
  throw shape("a bulk", reply);
}

/** A bulk-or-nil reply as bytes, undefined for nil. */
export function optionalBytesOf(reply: Reply): Uint8Array | undefined {
  return reply === null ? undefined : bytesOf(reply);
}

/** A bulk reply (a key) as UTF-8 text. */
export function textOf(reply: Reply): string {
  if (typeof reply === "string") return bytesToUtf8(reply);
  if (reply instanceof Status) return reply.text;
  throw shape("a bulk or status", reply);
}

/** An array reply (a nil array becomes empty: callers that must tell them apart check nil first). */
export function arrayOf(reply: Reply): readonly Reply[] {
  if (reply === null) return [];
  if (Array.isArray(reply)) return reply;
  throw shape("an array", reply);
}

/** An array reply of bulk strings as byte arrays. */
export function bytesListOf(reply: Reply): Uint8Array[] {
  return arrayOf(reply).map(bytesOf);
}

/** A double, from a bulk reply as Redis formats it (`1.5`, `inf`, `-inf`) or an integer reply. */
export function doubleOf(reply: Reply): number {
  if (typeof reply === "number") return reply;
  if (typeof reply === "string") {
    const s = reply.toLowerCase();
    if (s === "inf" || s === "+inf") return Number.POSITIVE_INFINITY;
    if (s === "-inf") return Number.NEGATIVE_INFINITY;
    const n = Number(reply);
    if (reply.trim() !== "" && !Number.isNaN(n)) return n;
  }
  throw shape("a double", reply);
}

/** A double-or-nil reply, undefined for nil. */
export function optionalDoubleOf(reply: Reply): number | undefined {
  return reply === null ? undefined : doubleOf(reply);
}

/** True for the `OK` status. */
export function isOk(reply: Reply): boolean {
  return reply instanceof Status && reply.text === "OK";
}

/** A flat `[a1, b1, a2, b2, …]` array as pairs (HGETALL, WITHSCORES, WITHVALUES). */
export function pairsOf(reply: Reply): [Reply, Reply][] {
  const flat = arrayOf(reply);
  if (flat.length % 2 !== 0) throw new TypeError("expected an even-length array reply");
  const out: [Reply, Reply][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i] as Reply, flat[i + 1] as Reply]);
  return out;
}

/** A SCAN-family reply `[cursor, [items…]]`. */
export function scanPageOf(reply: Reply): { cursor: string; items: readonly Reply[] } {
  const [cursor, items] = arrayOf(reply);
  if (cursor === undefined || items === undefined) throw shape("a scan page", reply);
  return { cursor: textOf(cursor), items: arrayOf(items) };
}
