/**
 * The RESP bench's floor: a bare `node:net` server that frames redis-benchmark's commands and
 * answers each with a fixed reply of the right shape (GET a 3-byte bulk, SET `+OK`, INCR and LPUSH
 * an integer, LRANGE 100 bulks), with no store, dispatch or reply encoding. What a command costs
 * here is what Node itself costs to read, frame and write it, one write per read; the port's rows
 * are read against it (and against redis-server). It reads as the port does (session 8): into one
 * shared buffer (server/resp/resp-socket.ts), so the floor is not raised by a read path the port
 * no longer uses; `--stream-reads` reads through `data` events instead (session 7's floor).
 *
 *   node resp-floor-child.mjs [--stream-reads]
 *
 * Prints `{"port": N}` once listening (127.0.0.1, a port the OS chose); runs until killed.
 */
import { createServer, type Socket } from "node:net";
import { borrowingSocket } from "../../server/resp/resp-socket.js";

const streamReads = process.argv.includes("--stream-reads");

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
  // A lent chunk is valid only during the call: what is left over is copied below (Buffer.from).
  const onChunk = (chunk: Buffer): void => {
    const buf = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const out: Buffer[] = [];
    let pos = 0;
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
      for (let k = 0; k < count[0]; k++) {
        const len = line(buf, at + 1);
        if (len === undefined || len[1] + len[0] + 2 > buf.length) break frames;
        if (k === 0) reply = replyTo(buf, len[1], len[0]);
        at = len[1] + len[0] + 2;
      }
      out.push(reply);
      pos = at;
    }
    pending = pos >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(pos));
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
