/**
 * The RESP request parser: a streaming state machine over the bytes a client sends, yielding one
 * argument vector ({@link Bytes}, one char per byte) per command. It accepts what Redis accepts
 * (`src/networking.c`: `processMultibulkBuffer`, `processInlineBuffer`) and refuses what Redis
 * refuses, with Redis's wording: multibulk requests (`*N` then `$len` bulks), inline commands
 * (a line of space-separated, optionally quoted words), frames split anywhere across reads.
 *
 * Memory is bounded by the server's limits, never by what the client claims: a bulk longer than
 * the largest value, more arguments than the largest command, or one command larger than the
 * largest request is a protocol error before anything is buffered. While the connection is not
 * authenticated, Redis's tighter bounds apply (10 arguments, 16 KiB bulks).
 */
import type { Bytes } from "../../shared/store/bytes.js";
import { builtInCommandNames, type CommandNameTable } from "../../shared/store/command-names.js";
import { latin1 } from "./latin1.js";

/** Redis's PROTO_INLINE_MAX_SIZE: the longest inline command or count line. */
export const INLINE_MAX_BYTES = 64 * 1024;
/** Above this, a bulk that spans reads is assembled in a buffer of its own instead of by concatenation. */
const BIG_BULK_BYTES = 32 * 1024;
/** Redis's bounds on a client that still has to authenticate. */
const UNAUTH_MAX_ARGS = 10;
const UNAUTH_MAX_BULK = 16 * 1024;

const CR = 13;
const LF = 10;
const EMPTY = Buffer.alloc(0);

/** A malformed request: the connection replies `-ERR <message>` and closes (as Redis does). */
export class RespProtocolError extends Error {
  override readonly name = "RespProtocolError";
}

/** The bounds a parser enforces (read on every command: they follow CONFIG/SetConfig changes). */
export interface RespParserLimits {
  /** Most arguments in one command (name included). */
  readonly maxArgs: number;
  /** Longest bulk argument in bytes. */
  readonly maxBulkBytes: number;
  /** Most bytes of arguments in one command. */
  readonly maxRequestBytes: number;
}

/**
 * Parses `buf[start, end)` as a non-negative decimal integer, Redis's `string2ll` strictness
 * (digits only, an optional leading `-`, no leading `+`, no spaces); NaN when it is not one.
 */
function parseCount(buf: Buffer, start: number, end: number): number {
  if (start >= end || end - start > 20) return Number.NaN;
  let i = start;
  let negative = false;
  if (buf[i] === 45) {
    negative = true;
    i++;
    if (i === end) return Number.NaN;
  }
  let n = 0;
  for (; i < end; i++) {
    const c = (buf[i] as number) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    n = n * 10 + c;
  }
  // "-0" and leading zeros are not canonical; Redis's string2ll refuses "01" and "-0".
  if ((buf[negative ? start + 1 : start] === 48 && end - start > (negative ? 2 : 1)) || (negative && n === 0))
    return Number.NaN;
  return negative ? -n : n;
}

const HEX = /^[0-9a-fA-F]{2}$/;

/**
 * Splits an inline command as Redis's `sdssplitargs` does: words separated by spaces, `"…"` with
 * C escapes (`\n`, `\xHH`…), `'…'` with `\'`; a closing quote must be followed by a space or the
 * end. Returns null for unbalanced quotes.
 */
export function splitInline(line: Bytes): Bytes[] | null {
  const out: Bytes[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) return out;
    let word = "";
    let inDq = false;
    let inSq = false;
    for (;;) {
      if (inDq) {
        if (i >= n) return null;
        const c = line[i] as string;
        if (c === "\\" && line[i + 1] === "x" && HEX.test(line.slice(i + 2, i + 4))) {
          word += String.fromCharCode(Number.parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === "\\" && i + 1 < n) {
          i++;
          const e = line[i] as string;
          word += e === "n" ? "\n" : e === "r" ? "\r" : e === "t" ? "\t" : e === "b" ? "\b" : e === "a" ? "\x07" : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          i++;
          break;
        } else word += c;
        i++;
      } else if (inSq) {
        if (i >= n) return null;
        const c = line[i] as string;
        if (c === "\\" && line[i + 1] === "'") {
          word += "'";
          i += 2;
          continue;
        }
        if (c === "'") {
          if (i + 1 < n && !isSpace(line.charCodeAt(i + 1))) return null;
          i++;
          break;
        }
        word += c;
        i++;
      } else {
        if (i >= n) break;
        const c = line[i] as string;
        const code = line.charCodeAt(i);
        if (isSpace(code)) break;
        if (c === '"') inDq = true;
        else if (c === "'") inSq = true;
        else word += c;
        i++;
      }
    }
    out.push(word);
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9 || c === 11 || c === 12 || c === 0;
}

/**
 * A streaming RESP request parser for one connection. Feed it with {@link push}; take commands
 * with {@link next} until it returns undefined (more bytes needed).
 */
export class RespParser {
  private buf: Buffer = EMPTY;
  private pos = 0;
  /** `buf` is the chunk last pushed itself (not a copy): see {@link retain}. */
  private lent = false;
  /** The multibulk command being read, or null between commands. */
  private argv: Bytes[] | null = null;
  /** Arguments of `argv` still to read. */
  private remaining = 0;
  /** The length of the bulk whose body is awaited, or -1 when its `$len` line is next. */
  private bulkLength = -1;
  /** Bytes of arguments of the command being read. */
  private requestBytes = 0;
  /** A large bulk assembled across reads (its body and CRLF), and how much of it has arrived. */
  private big: Buffer | null = null;
  private bigFill = 0;
  /** The command name of the last command read in one pass ({@link whole}). */
  private lastName = "";
  /** True while the connection must authenticate: Redis's tighter bounds apply. */
  unauthenticated = false;

  /**
   * @param names the command names handed interned (shared/store/command-names.ts): a command
   *   whose name is one of them gets that very string as `argv[0]`, never a fresh one.
   */
  constructor(
    private readonly limits: () => RespParserLimits,
    private readonly names: CommandNameTable = builtInCommandNames(),
  ) {}

  /** Bytes received and not yet consumed as commands. */
  get buffered(): number {
    return this.buf.length - this.pos + this.bigFill;
  }

  /**
   * Memory this parser holds for the client (the server-wide --max-request-bytes-total counts it):
   * the bytes not yet consumed, a large bulk's whole buffer (allocated when its length arrives),
   * and the arguments of the command being read.
   */
  get held(): number {
    const args = this.argv === null ? 0 : this.requestBytes - Math.max(this.bulkLength, 0);
    return this.buf.length - this.pos + (this.big === null ? 0 : this.big.length) + args;
  }

  /** Adds bytes received from the client. */
  push(chunk: Buffer): void {
    const big = this.big;
    if (big !== null) {
      const take = Math.min(big.length - this.bigFill, chunk.length);
      chunk.copy(big, this.bigFill, 0, take);
      this.bigFill += take;
      if (take === chunk.length) return;
      chunk = chunk.subarray(take);
    }
    if (this.pos >= this.buf.length) {
      this.buf = chunk;
      this.lent = true;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.pos), chunk]);
      this.lent = false;
    }
    this.pos = 0;
  }

  /**
   * Keeps a copy of the bytes not yet consumed: the buffer last {@link push}ed was lent and is
   * about to be reused (resp-socket.ts). Costs nothing when every command was consumed.
   */
  retain(): void {
    if (!this.lent) return;
    this.lent = false;
    const buf = this.buf;
    this.buf = this.pos >= buf.length ? EMPTY : Buffer.from(buf.subarray(this.pos));
    this.pos = 0;
  }

  /**
   * The next complete command, or undefined when more bytes are needed. Empty commands (`*0`, a
   * blank inline line) are skipped. Throws {@link RespProtocolError} on malformed input; the
   * parser is then unusable (the connection closes).
   */
  next(): Bytes[] | undefined {
    for (;;) {
      if (this.argv === null) {
        const buf = this.buf;
        const pos = this.pos;
        if (pos >= buf.length) return undefined;
        if (buf[pos] === 42 /* '*' */) {
          // The common case first: a whole, well-formed command in the buffer.
          const argv = this.whole(buf, pos);
          if (argv !== undefined) return argv;
        } else {
          const argv = this.inline();
          if (argv === undefined) return undefined;
          if (argv.length > 0) return argv;
          continue;
        }
        const cr = this.lineEnd(pos);
        if (cr < 0) {
          if (buf.length - pos > INLINE_MAX_BYTES)
            throw new RespProtocolError("Protocol error: too big mbulk count string");
          return undefined;
        }
        const count = parseCount(buf, pos + 1, cr);
        const limits = this.limits();
        if (Number.isNaN(count) || count > limits.maxArgs)
          throw new RespProtocolError("Protocol error: invalid multibulk length");
        if (this.unauthenticated && count > UNAUTH_MAX_ARGS)
          throw new RespProtocolError("Protocol error: unauthenticated multibulk length");
        this.pos = cr + 2;
        if (count <= 0) continue;
        this.argv = [];
        this.remaining = count;
        this.requestBytes = 0;
        this.bulkLength = -1;
      }
      if (!this.readArgs()) return undefined;
      const argv = this.argv as Bytes[];
      this.argv = null;
      return argv;
    }
  }

  /**
   * The multibulk command at `pos` when all of it has arrived, is well-formed and within the
   * limits, read in one pass (no per-argument state); undefined otherwise, and nothing consumed:
   * the state machine then reads it, waits for the rest, or throws Redis's error for it. Counts
   * and lengths are read as Redis's `string2ll` accepts them (no sign, no leading zero).
   */
  private whole(buf: Buffer, pos: number): Bytes[] | undefined {
    const end = buf.length;
    let i = pos + 1;
    let count = 0;
    let c = (buf[i] as number) - 48;
    if (!(c >= 1 && c <= 9)) return undefined;
    // Nine digits at most: larger counts are refused by the limits anyway (slow path).
    for (const stop = Math.min(i + 9, end); i < stop && c >= 0 && c <= 9; c = (buf[++i] as number) - 48)
      count = count * 10 + c;
    if (i + 1 >= end || buf[i] !== CR || buf[i + 1] !== LF) return undefined;
    i += 2;
    const limits = this.limits();
    const unauthenticated = this.unauthenticated;
    if (count > limits.maxArgs || (unauthenticated && count > UNAUTH_MAX_ARGS)) return undefined;
    const maxBulk = unauthenticated ? Math.min(limits.maxBulkBytes, UNAUTH_MAX_BULK) : limits.maxBulkBytes;
    const maxRequest = limits.maxRequestBytes;
    let requestBytes = 0;
    const argv = new Array<Bytes>(count);
    for (let k = 0; k < count; k++) {
      if (i + 3 >= end || buf[i] !== 36 /* '$' */) return undefined;
      i++;
      let length = (buf[i] as number) - 48;
      if (!(length >= 0 && length <= 9)) return undefined;
      c = (buf[++i] as number) - 48;
      if (length === 0 && c >= 0 && c <= 9) return undefined; // a leading zero
      for (const stop = Math.min(i + 9, end); i < stop && c >= 0 && c <= 9; c = (buf[++i] as number) - 48)
        length = length * 10 + c;
      if (i + 1 >= end || buf[i] !== CR || buf[i + 1] !== LF) return undefined;
      requestBytes += length;
      if (length > maxBulk || requestBytes > maxRequest) return undefined;
      i += 2;
      // Redis skips the two bytes after the body without checking them; so do we.
      if (i + length + 2 > end) return undefined;
      if (k === 0) argv[0] = this.name(buf, i, length);
      else argv[k] = latin1(buf, i, i + length);
      i += length + 2;
    }
    this.pos = i;
    return argv;
  }

  /**
   * The command name `buf[at, at + length)`: the name sent last when the bytes match (a pipeline
   * mostly repeats its command: one compare, no lookup), else the interned name, else a new string.
   */
  private name(buf: Buffer, at: number, length: number): Bytes {
    const last = this.lastName;
    let same = last.length === length;
    for (let j = 0; same && j < length; j++) same = buf[at + j] === last.charCodeAt(j);
    if (same) return last;
    const name = this.names.find(buf, at, length) ?? latin1(buf, at, at + length);
    if (length <= 32) this.lastName = name; // never holds on to a huge one
    return name;
  }

  /** Index of the CR of a CRLF-terminated line starting at `from`, or -1 when it has not all arrived. */
  private lineEnd(from: number): number {
    const buf = this.buf;
    const cr = buf.indexOf(CR, from);
    if (cr < 0 || cr + 1 >= buf.length) return -1;
    return cr;
  }

  /** Reads the arguments of the current multibulk command; false when more bytes are needed. */
  private readArgs(): boolean {
    const argv = this.argv as Bytes[];
    while (this.remaining > 0) {
      if (this.big !== null) {
        const big = this.big;
        if (this.bigFill < big.length) return false;
        argv.push(big.toString("latin1", 0, big.length - 2));
        this.big = null;
        this.bigFill = 0;
        this.bulkLength = -1;
        this.remaining--;
        continue;
      }
      const buf = this.buf;
      let pos = this.pos;
      if (this.bulkLength < 0) {
        if (pos >= buf.length) return false;
        if (buf[pos] !== 36 /* '$' */) {
          throw new RespProtocolError(`Protocol error: expected '$', got '${String.fromCharCode(buf[pos] as number)}'`);
        }
        const cr = this.lineEnd(pos);
        if (cr < 0) {
          if (buf.length - pos > INLINE_MAX_BYTES)
            throw new RespProtocolError("Protocol error: too big bulk count string");
          return false;
        }
        const length = parseCount(buf, pos + 1, cr);
        const limits = this.limits();
        if (Number.isNaN(length) || length < 0 || length > limits.maxBulkBytes)
          throw new RespProtocolError("Protocol error: invalid bulk length");
        if (this.unauthenticated && length > UNAUTH_MAX_BULK)
          throw new RespProtocolError("Protocol error: unauthenticated bulk length");
        this.requestBytes += length;
        if (this.requestBytes > limits.maxRequestBytes)
          throw new RespProtocolError(
            `Protocol error: request larger than the server's limit (${limits.maxRequestBytes} bytes, --max-request-bytes)`,
          );
        this.bulkLength = length;
        pos = this.pos = cr + 2;
      }
      const length = this.bulkLength;
      // Redis skips the two bytes after the body without checking them; so do we.
      if (buf.length - pos >= length + 2) {
        argv.push(argv.length === 0 ? this.name(buf, pos, length) : latin1(buf, pos, pos + length));
        this.pos = pos + length + 2;
        this.bulkLength = -1;
        this.remaining--;
        continue;
      }
      if (length >= BIG_BULK_BYTES) {
        // Assemble the body in place as it arrives (no repeated concatenation of a large buffer).
        const big = Buffer.allocUnsafe(length + 2);
        const have = buf.length - pos;
        buf.copy(big, 0, pos);
        this.big = big;
        this.bigFill = have;
        this.buf = EMPTY;
        this.pos = 0;
        return false;
      }
      return false;
    }
    return true;
  }

  /** Reads one inline command; undefined when its line has not all arrived. */
  private inline(): Bytes[] | undefined {
    const buf = this.buf;
    const pos = this.pos;
    const lf = buf.indexOf(LF, pos);
    if (lf < 0) {
      if (buf.length - pos > INLINE_MAX_BYTES) throw new RespProtocolError("Protocol error: too big inline request");
      return undefined;
    }
    if (lf - pos > INLINE_MAX_BYTES) throw new RespProtocolError("Protocol error: too big inline request");
    const end = lf > pos && buf[lf - 1] === CR ? lf - 1 : lf;
    const argv = splitInline(buf.toString("latin1", pos, end));
    if (argv === null) throw new RespProtocolError("Protocol error: unbalanced quotes in request");
    this.pos = lf + 1;
    const limits = this.limits();
    if (argv.length > limits.maxArgs) throw new RespProtocolError("Protocol error: invalid multibulk length");
    if (argv.length > 0) argv[0] = this.names.intern(argv[0] as Bytes);
    return argv;
  }
}
