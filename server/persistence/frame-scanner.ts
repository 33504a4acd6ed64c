/**
 * Reads the frames of a persistence file by streaming it in chunks (bounded memory: one chunk, or
 * one frame when a frame is larger), verifying each, and resynchronising after damage.
 *
 * Format 2 (frames.ts): a bad frame (marker, header CRC, length or payload CRC) starts a damaged
 * region; the reader moves to the next marker that begins a valid frame, and reports the region.
 * Damage that runs to the end of the file is the tail; it is *torn* when it is only an incomplete
 * last frame (a crash during a write), which recovery may cut off.
 *
 * Format 1 (`u32 length | u32 CRC | payload`, no marker): cannot resynchronise, so reading stops
 * at the first bad frame and the rest is the tail.
 */
import { readSync } from "node:fs";
import { frameCrc } from "./frame-crc.js";
import { FRAME_HEADER_BYTES, MAX_PAYLOAD_BYTES, SYNC } from "./frames.js";

/** Bytes the reader could not load. */
export interface Region {
  readonly offset: number;
  readonly bytes: number;
  readonly reason: string;
}

/** Unloadable bytes at the end of a file. */
export interface TailRegion extends Region {
  /** Only an incomplete last frame (what a crash during a write leaves): safe to cut off. */
  readonly torn: boolean;
}

/** What {@link scanFile} found. */
export interface ScanReport {
  readonly size: number;
  readonly frames: number;
  /** End of the last valid frame. */
  readonly validEnd: number;
  /** Damaged regions followed by valid frames. */
  readonly damaged: readonly Region[];
  /** Unloadable bytes from the last valid frame to the end of the file. */
  readonly tail: TailRegion | undefined;
}

/** Receives each valid payload as `data[from, to)`; `data` is only valid during the call. */
export type PayloadSink = (data: Uint8Array, from: number, to: number, offset: number) => void;

/** Default read size. */
export const DEFAULT_CHUNK_BYTES = 8 << 20;

/** A sliding window over a file, refilled by chunked reads. */
class FileWindow {
  buf: Buffer;
  /** File offset of `buf[0]`. */
  start = 0;
  /** Valid bytes in `buf`. */
  len = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly chunk: number,
  ) {
    this.buf = Buffer.allocUnsafe(Math.min(chunk, Math.max(size, 16)));
  }

  /** Makes `[from, to)` (to ≤ size) available in `buf`, reading at least a chunk when it reads. */
  ensure(from: number, to: number): void {
    if (from >= this.start && to <= this.start + this.len) return;
    if (from >= this.start && from < this.start + this.len) {
      this.buf.copyWithin(0, from - this.start, this.len);
      this.len -= from - this.start;
    } else this.len = 0;
    this.start = from;
    const want = Math.min(this.size - from, Math.max(to - from, this.chunk));
    if (want > this.buf.length || (this.buf.length > 4 * this.chunk && want <= this.chunk)) {
      const next = Buffer.allocUnsafe(want);
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    while (this.len < want) {
      const n = readSync(this.fd, this.buf, this.len, want - this.len, this.start + this.len);
      if (n === 0) throw new Error(`file ended at ${this.start + this.len}, before its size ${this.size}`);
      this.len += n;
    }
  }

  /** The big-endian u32 at file offset `at` (in the window): plain byte reads, no Buffer method call per field. */
  u32(at: number): number {
    const b = this.buf;
    const i = at - this.start;
    return (
      (((b[i] as number) << 24) | ((b[i + 1] as number) << 16) | ((b[i + 2] as number) << 8) | (b[i + 3] as number)) >>>
      0
    );
  }

  /** The next SYNC marker at or after `from`, or -1. */
  nextSync(from: number): number {
    let p = from;
    while (p + 4 <= this.size) {
      this.ensure(p, Math.min(this.size, p + this.chunk));
      const b = this.buf;
      const base = this.start;
      const end = base + this.len - 3;
      for (; p < end; p++) {
        const i = p - base;
        if (b[i] === 0xd5 && b[i + 1] === 0x1c && b[i + 2] === 0xa7 && b[i + 3] === 0xe3) return p;
      }
    }
    return -1;
  }
}

/** Reads the format-2 frames of the file open as `fd` (`size` bytes) from `start`. */
export function scanFile(
  fd: number,
  size: number,
  start: number,
  onPayload: PayloadSink,
  chunk = DEFAULT_CHUNK_BYTES,
): ScanReport {
  const w = new FileWindow(fd, size, chunk);
  const damaged: Region[] = [];
  let frames = 0;
  let validEnd = start;
  let pos = start;
  let damageAt = -1;
  let damageReason = "";
  let tail: TailRegion | undefined;
  const bad = (reason: string): void => {
    if (damageAt < 0) {
      damageAt = pos;
      damageReason = reason;
    }
  };
  while (pos < size) {
    if (size - pos < FRAME_HEADER_BYTES) {
      bad(`incomplete frame header (${size - pos} bytes)`);
      tail = { offset: damageAt, bytes: size - damageAt, reason: damageReason, torn: damageAt === pos };
      break;
    }
    w.ensure(pos, pos + FRAME_HEADER_BYTES);
    const len = w.u32(pos + 4);
    const headerOk =
      w.u32(pos) === SYNC &&
      w.u32(pos + 12) === frameCrc(w.buf, pos - w.start, pos - w.start + 12) &&
      len > 0 &&
      len <= MAX_PAYLOAD_BYTES;
    if (!headerOk) {
      bad(w.u32(pos) === SYNC ? "frame header CRC mismatch" : "no frame marker");
      const next = w.nextSync(pos + 1);
      if (next < 0) {
        tail = { offset: damageAt, bytes: size - damageAt, reason: damageReason, torn: false };
        break;
      }
      pos = next;
      continue;
    }
    const end = pos + FRAME_HEADER_BYTES + len;
    if (end > size) {
      // A valid header announcing more bytes than the file has: the last write was cut short.
      bad(`incomplete frame (${len} bytes announced, ${size - pos - FRAME_HEADER_BYTES} present)`);
      tail = { offset: damageAt, bytes: size - damageAt, reason: damageReason, torn: damageAt === pos };
      break;
    }
    w.ensure(pos, end);
    const from = pos - w.start + FRAME_HEADER_BYTES;
    if (frameCrc(w.buf, from, from + len) !== w.u32(pos + 8)) {
      // The header checked, so its length is trusted: the next frame starts right after.
      bad("payload CRC mismatch");
      pos = end;
      continue;
    }
    if (damageAt >= 0) {
      damaged.push({ offset: damageAt, bytes: pos - damageAt, reason: damageReason });
      damageAt = -1;
    }
    onPayload(w.buf, from, from + len, pos);
    frames++;
    pos = end;
    validEnd = end;
  }
  if (tail === undefined && damageAt >= 0)
    tail = { offset: damageAt, bytes: size - damageAt, reason: damageReason, torn: false };
  return { size, frames, validEnd, damaged, tail };
}

/** Reads the format-1 frames of `fd` from `start`, stopping at the first bad one. */
export function scanFileV1(
  fd: number,
  size: number,
  start: number,
  onPayload: PayloadSink,
  chunk = DEFAULT_CHUNK_BYTES,
): ScanReport {
  const w = new FileWindow(fd, size, chunk);
  let frames = 0;
  let pos = start;
  let tail: TailRegion | undefined;
  while (pos < size) {
    if (size - pos < 8) {
      tail = { offset: pos, bytes: size - pos, reason: `incomplete frame header (${size - pos} bytes)`, torn: true };
      break;
    }
    w.ensure(pos, pos + 8);
    const len = w.u32(pos);
    if (len === 0 || len > MAX_PAYLOAD_BYTES) {
      tail = { offset: pos, bytes: size - pos, reason: `invalid frame length ${len}`, torn: false };
      break;
    }
    const end = pos + 8 + len;
    if (end > size) {
      tail = { offset: pos, bytes: size - pos, reason: "incomplete frame", torn: true };
      break;
    }
    w.ensure(pos, end);
    const from = pos - w.start + 8;
    if (frameCrc(w.buf, from, from + len) !== w.u32(pos + 4)) {
      tail = { offset: pos, bytes: size - pos, reason: "CRC mismatch", torn: false };
      break;
    }
    onPayload(w.buf, from, from + len, pos);
    frames++;
    pos = end;
  }
  return { size, frames, validEnd: tail?.offset ?? pos, damaged: [], tail };
}
