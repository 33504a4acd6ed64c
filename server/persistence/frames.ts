/**
 * The frame: the unit of verification and resynchronisation of the persistence files (format 2).
 *
 * ```
 * offset 0   u32 SYNC       0xD51CA7E3, where a reader looks for the next frame after damage
 * offset 4   u32 length     of the payload, 1 … MAX_PAYLOAD_BYTES
 * offset 8   u32 CRC-32     of the payload
 * offset 12  u32 CRC-32     of bytes 0–11 (a damaged length is caught before it is followed)
 * offset 16  payload
 * ```
 *
 * A log frame is one turn's changes (all or nothing); a snapshot has one frame per key, so damage
 * costs the damaged key(s) only. After a bad frame, a reader moves to the next SYNC whose header
 * and payload both check: a false match needs two CRC-32 collisions.
 */

/** The frame marker. */
export const SYNC = 0xd51ca7e3;
/** Bytes of a frame header. */
export const FRAME_HEADER_BYTES = 16;
/** Largest payload a reader accepts (a longer length field is corruption). */
export const MAX_PAYLOAD_BYTES = 1 << 30;

/** The 8-byte file headers (magic + format version). */
export const LOG_MAGIC = new TextEncoder().encode("MEMLOG02");
export const SNAP_MAGIC = new TextEncoder().encode("MEMSNP02");
/** Format 1 (frames `u32 length | u32 CRC | payload`, no marker): still loaded, never written. */
export const LOG_MAGIC_V1 = new TextEncoder().encode("MEMLOG01");
export const SNAP_MAGIC_V1 = new TextEncoder().encode("MEMSNP01");
export const MAGIC_BYTES = 8;
