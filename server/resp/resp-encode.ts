/**
 * The reply values of the RESP port: the store's replies (RESP2-shaped, see shared/store/reply.ts)
 * plus the RESP3-only shapes the connection builds (maps, sets, doubles, pushes, the null array).
 * resp-writer.ts encodes them as RESP2 or RESP3.
 */
import type { Bytes } from "../../shared/store/bytes.js";
import type { Reply } from "../../shared/store/reply.js";

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

/** A RESP3 verbatim string (`=`, format `txt`: INFO, CLIENT INFO/LIST); a bulk string in RESP2. */
export class RespVerbatim {
  constructor(readonly text: Bytes) {}
}

/** A null array: `*-1` in RESP2 (EXEC after a WATCH saw a change), `_` in RESP3. */
export const NULL_ARRAY: unique symbol = Symbol("resp.nullArray");

/** Anything the connection replies with. */
export type RespValue =
  | Reply
  | RespMap
  | RespSet
  | RespDouble
  | RespPush
  | RespVerbatim
  | typeof NULL_ARRAY
  | readonly RespValue[];
