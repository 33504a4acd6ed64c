/**
 * Reply encoding for the RESP port: the store's replies (RESP2-shaped, see shared/store/reply.ts)
 * and the few RESP3-only shapes the connection builds (maps, sets, doubles, pushes), as RESP2 or
 * RESP3 bytes. Output is a byte string (one char per byte) that the connection concatenates per
 * batch and writes once, `latin1`-encoded: no Buffer per reply.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import { StoreError } from "../../shared/store/errors.js";
import { type Reply, Status } from "../../shared/store/reply.js";

/** A RESP3 map (`%`); a flat array of alternating keys and values in RESP2. */
export class RespMap {
  constructor(readonly entries: readonly (readonly [RespValue, RespValue])[]) {}
}

/** A RESP3 set (`~`); an array in RESP2. */
export class RespSet {
  constructor(readonly items: readonly RespValue[]) {}
}

/** A RESP3 double (`,`); a bulk string in RESP2 (the store's formatted text is kept). */
export class RespDouble {
  constructor(readonly text: Bytes) {}
}

/** A RESP3 out-of-band push (`>`); an array in RESP2 (Pub/Sub messages). */
export class RespPush {
  constructor(readonly items: readonly RespValue[]) {}
}

/** A null array: `*-1` in RESP2 (EXEC after a WATCH saw a change), `_` in RESP3. */
export const NULL_ARRAY: unique symbol = Symbol("resp.nullArray");

/** Anything the connection replies with. */
export type RespValue = Reply | RespMap | RespSet | RespDouble | RespPush | typeof NULL_ARRAY | readonly RespValue[];

/** `+OK\r\n` and the other constant replies. */
export const OK_REPLY = "+OK\r\n";
const NULL2 = "$-1\r\n";
const NULL3 = "_\r\n";

/** An error line: `-<message>\r\n`, CR and LF turned into spaces so it stays one line. */
export function encodeError(message: string): string {
  return `-${message.replace(/[\r\n]/g, " ")}\r\n`;
}

/** A bulk string. */
export function encodeBulk(bytes: Bytes): string {
  return `$${bytes.length}\r\n${bytes}\r\n`;
}

/** Encodes `value` as RESP2 (`resp3` false) or RESP3. */
export function encode(value: RespValue, resp3: boolean): string {
  if (typeof value === "string") return `$${value.length}\r\n${value}\r\n`;
  if (typeof value === "number") {
    if (Number.isInteger(value)) return `:${value}\r\n`;
    return resp3 ? `,${value}\r\n` : encodeBulk(String(value));
  }
  if (value === null) return resp3 ? NULL3 : NULL2;
  if (value instanceof Status) return value.text === "OK" ? OK_REPLY : `+${value.text.replace(/[\r\n]/g, " ")}\r\n`;
  if (Array.isArray(value)) {
    let out = `*${value.length}\r\n`;
    for (let i = 0; i < value.length; i++) out += encode(value[i] as RespValue, resp3);
    return out;
  }
  if (typeof value === "bigint") return `:${value}\r\n`;
  if (value instanceof StoreError) return encodeError(value.message);
  if (value === NULL_ARRAY) return resp3 ? NULL3 : "*-1\r\n";
  if (value instanceof RespMap) {
    let out = resp3 ? `%${value.entries.length}\r\n` : `*${value.entries.length * 2}\r\n`;
    for (const [k, v] of value.entries) out += encode(k, resp3) + encode(v, resp3);
    return out;
  }
  if (value instanceof RespSet) {
    let out = `${resp3 ? "~" : "*"}${value.items.length}\r\n`;
    for (const item of value.items) out += encode(item, resp3);
    return out;
  }
  if (value instanceof RespDouble) return resp3 ? `,${value.text}\r\n` : encodeBulk(value.text);
  if (value instanceof RespPush) {
    let out = `${resp3 ? ">" : "*"}${value.items.length}\r\n`;
    for (const item of value.items) out += encode(item, resp3);
    return out;
  }
  throw new TypeError(`cannot encode reply ${String(value)}`);
}
