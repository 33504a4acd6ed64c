/**
 * Bytes to a byte string ({@link Bytes}: one char per byte, as `Buffer#toString("latin1")`) for the
 * RESP parser: short ones by the core's one-call decoder ({@link shortLatin1}, faster than Node's
 * binding below ~24 bytes), longer ones by Node.
 */
import { shortLatin1 } from "../../shared/store/byte-io.js";
import type { Bytes } from "../../shared/store/bytes.js";

/** The bytes `b[s, e)` as a byte string. */
export function latin1(b: Buffer, s: number, e: number): Bytes {
  return shortLatin1(b, s, e - s) ?? b.toString("latin1", s, e);
}
