/**
 * The RESP bench's floor: a bare `node:net` server that frames redis-benchmark's commands and
 * answers each with a fixed reply of the right shape (GET a 3-byte bulk, SET `+OK`, INCR and LPUSH
 * an integer, LRANGE 100 bulks), with no store, dispatch or reply encoding. What a command costs
 * here is what Node itself costs to read, frame and write it, one write per read; the port's rows
 * are read against it (and against redis-server). It reads as the port does (session 8): into one
 * shared buffer (server/resp/resp-socket.ts), so the floor is not raised by a read path the port
 * no longer uses; `--stream-reads` reads through `data` events instead (session 7's floor).
 *
 *   node resp-floor-child.mjs [--stream-reads] [--map]
 *
 * `--map`: the floor plus an ideal store, for the bench's proof rows: each command's key (and
 * value) decoded to a string as the port's parser does (server/resp/latin1.ts), and GET, SET, INCR
 * and LPUSH run on one plain `Map` (no key table, expiry, types, limits, events or command log),
 * the reply encoded from what it holds. What a command costs here is the least any store on Node
 * adds to the floor: the keyspace lookup of a fresh key string.
 *
 * Prints `{"port": N}` once listening (127.0.0.1, a port the OS chose); runs until killed.
 */
import { createServer, type Socket } from "node:net";
import { latin1 } from "../../server/resp/latin1.js";
import { borrowingSocket } from "../../server/resp/resp-socket.js";

const streamReads = process.argv.includes("--stream-reads");
const withMap = process.argv.includes("--map");
/** The ideal store of `--map`: strings, and lists as arrays (LPUSH appends: its reply is the length alone). */
const store = new Map<string, string | string[]>();

const bulk = (s: string): string => `$${s.length}\r\n${s}\r\n`;
const REPLIES: Record<string, Buffer> = {
  GET: Buffer.from(bulk("xxx")),
  SET: Buffer.from("+OK\r\n"),
  INCR: Buffer.from(":1\r\n"),
  LPUSH: Buffer.from(":1\r\n"),
  LRANGE: Buffer.from(`*100\r\n${bulk("xxx").repeat(100)}`),
  PING: Buffer.from("+PONG\r\n"),
};
const OTHER = Buffer.from("*0\r\n"); // CONFIG GET and anything else redis-benchmark sends first

/** The reply to the command whose name is `buf[at, at + n)`. */
function replyTo(buf: Buffer, at: number, n: number): Buffer {
  return REPLIES[buf.toString("latin1", at, at + n).toUpperCase()] ?? OTHER;
}

/**
 * `--map`'s reply to the command whose name, key and value are `buf`'s ranges `at[0..6)` (start,
 * length pairs; a missing argument has length -1), run on {@link store}.
 */
function mapReply(buf: Buffer, at: number[]): string {
  const name = buf.toString("latin1", at[0], (at[0] as number) + (at[1] as number)).toUpperCase();
  if ((at[3] as number) < 0) return name === "PING" ? "+PONG\r\n" : "*0\r\n";
  const key = latin1(buf, at[2] as number, (at[2] as number) + (at[3] as number));
  switch (name) {
    case "GET": {
      const v = store.get(key);
      return typeof v === "string" ? `$${v.length}\r\n${v}\r\n` : "$-1\r\n";
    }
    case "SET":
      store.set(key, latin1(buf, at[4] as number, (at[4] as number) + (at[5] as number)));
      return "+OK\r\n";
    case "INCR": {
      const n = Number(store.get(key) ?? "0") + 1;
      store.set(key, String(n));
      return `:${n}\r\n`;
    }
    case "LPUSH": {
      const value = latin1(buf, at[4] as number, (at[4] as number) + (at[5] as number));
      const list = store.get(key);
      if (Array.isArray(list)) return `:${list.push(value)}\r\n`;
      store.set(key, [value]);
      return ":1\r\n";
    }
    default:
      return REPLIES[name]?.toString("latin1") ?? "*0\r\n";
  }
}

/** The number in `buf` from `at` up to CR, and the index after its CRLF; undefined if incomplete. */
function line(buf: Buffer, at: number): [number, number] | undefined {
  let n = 0;
  for (let i = at; i < buf.length; i++) {
    const c = buf[i] as number;
    if (c === 13) return i + 1 < buf.length ? [n, i + 2] : undefined;
    n = n * 10 + c - 48;
  }
  return undefined;
}

const server = createServer({ noDelay: true, pauseOnConnect: true }, (accepted) => {
  accepted.on("error", () => {});
  let pending: Buffer = Buffer.alloc(0);
  const args = [-1, -1, -1, -1, -1, -1]; // --map: the name's, key's and value's start and length
  // A lent chunk is valid only during the call: what is left over is copied below (Buffer.from).
  const onChunk = (chunk: Buffer): void => {
    const buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const out: Buffer[] = [];
    let pos = 0;
    let text = ""; // --map's replies
    // Multibulk frames (*N, then N × $len CRLF bytes CRLF), and inline lines (the bench's PING probe).
    frames: while (pos < buf.length) {
      if (buf[pos] !== 42 /* '*' */) {
        const lf = buf.indexOf(10, pos);
        if (lf < 0) break;
        const space = buf.indexOf(32, pos);
        out.push(replyTo(buf, pos, (space < 0 || space > lf ? lf : space) - pos - (buf[lf - 1] === 13 ? 1 : 0)));
        pos = lf + 1;
        continue;
      }
      const count = line(buf, pos + 1);
      if (count === undefined) break;
      let at = count[1];
      let reply: Buffer = OTHER;
      if (withMap) args.fill(-1);
      for (let k = 0; k < count[0]; k++) {
        const len = line(buf, at + 1);
        if (len === undefined || len[1] + len[0] + 2 > buf.length) break frames;
        if (withMap) {
          if (k < 3) {
            args[2 * k] = len[1];
            args[2 * k + 1] = len[0];
          }
        } else if (k === 0) reply = replyTo(buf, len[1], len[0]);
        at = len[1] + len[0] + 2;
      }
      if (withMap) text += mapReply(buf, args);
      else out.push(reply);
      pos = at;
    }
    pending = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
    if (text.length > 0) {
      socket.write(Buffer.from(text, "latin1"));
      text = "";
    }
    if (out.length > 0) socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
  };
  const lent = streamReads ? undefined : borrowingSocket(accepted, onChunk);
  const socket: Socket = lent ?? accepted;
  if (lent === undefined) {
    accepted.on("data", onChunk);
    accepted.resume();
  } else socket.on("error", () => {});
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  console.log(JSON.stringify({ port: typeof address === "object" && address !== null ? address.port : 0 }));
});
