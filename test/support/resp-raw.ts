import { once } from "node:events";
import { connect, type Socket } from "node:net";

/** A reply as the raw client decodes it: errors as `{ error }`, RESP3 maps as `{ map }`. */
export type RawReply =
  | string
  | number
  | null
  | { error: string }
  | { status: string }
  | { map: [RawReply, RawReply][] }
  | { push: RawReply[] }
  | RawReply[];

/**
 * A byte-level RESP client for hostile tests: it sends exactly the bytes given and decodes
 * replies (RESP2 and RESP3) as they arrive; it can also stop reading altogether.
 */
export class RawRespClient {
  private buf: Buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  /** Resolves when the server closes the connection. */
  readonly closed: Promise<void>;
  isClosed = false;
  /** Decode status replies as `{ status }` (otherwise as plain strings, like bulk strings). */
  statusObjects = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.wake();
    });
    socket.on("error", () => {});
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.isClosed = true;
        this.wake();
        resolve();
      }),
    );
  }

  /** Connects to `host:port` (loopback by default). */
  static async open(port: number, host = "127.0.0.1"): Promise<RawRespClient> {
    const socket = connect({ host, port });
    await once(socket, "connect");
    return new RawRespClient(socket);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Sends raw bytes. */
  send(data: string | Buffer): void {
    this.socket.write(typeof data === "string" ? Buffer.from(data, "latin1") : data);
  }

  /** Sends a command as a multibulk request. */
  command(...args: (string | Buffer)[]): void {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = typeof a === "string" ? Buffer.from(a) : a;
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
    }
    this.send(Buffer.concat(parts));
  }

  /** Sends a command and reads its reply. */
  async call(...args: (string | Buffer)[]): Promise<RawReply> {
    this.command(...args);
    return this.read();
  }

  /** Reads one reply; rejects if the connection closes first. */
  async read(): Promise<RawReply> {
    for (;;) {
      const parsed = parse(this.buf, 0, this.statusObjects);
      if (parsed !== undefined) {
        this.buf = this.buf.subarray(parsed[1]);
        return parsed[0];
      }
      if (this.isClosed)
        throw new Error(`connection closed; unparsed: ${JSON.stringify(this.buf.toString("latin1").slice(0, 200))}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Reads one reply as the exact bytes the server sent (byte-for-byte differentials). */
  async readRaw(): Promise<string> {
    for (;;) {
      const parsed = parse(this.buf, 0, this.statusObjects);
      if (parsed !== undefined) {
        const raw = this.buf.toString("latin1", 0, parsed[1]);
        this.buf = this.buf.subarray(parsed[1]);
        return raw;
      }
      if (this.isClosed)
        throw new Error(`connection closed; unparsed: ${JSON.stringify(this.buf.toString("latin1").slice(0, 200))}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Sends a command and reads its reply's exact bytes. */
  async callRaw(...args: (string | Buffer)[]): Promise<string> {
    this.command(...args);
    return this.readRaw();
  }

  /** Bytes received and not yet read as replies. */
  get unread(): number {
    return this.buf.length;
  }

  /** Stops reading from the socket (the kernel buffers fill, then the server's). */
  stopReading(): void {
    this.socket.pause();
  }

  /** Resumes reading. */
  resumeReading(): void {
    this.socket.resume();
  }

  /** Closes the connection. */
  close(): void {
    this.socket.destroy();
  }
}

/** Parses one reply at `pos`: [reply, next position], or undefined when incomplete. */
function parse(buf: Buffer, pos: number, statusObjects: boolean): [RawReply, number] | undefined {
  if (pos >= buf.length) return undefined;
  const cr = buf.indexOf("\r\n", pos);
  if (cr < 0) return undefined;
  const type = String.fromCharCode(buf[pos] as number);
  const line = buf.toString("latin1", pos + 1, cr);
  const next = cr + 2;
  switch (type) {
    case "+":
      return [statusObjects ? { status: line } : line, next];
    case "-":
      return [{ error: line }, next];
    case ":":
      return [Number(line), next];
    case ",":
      return [line, next];
    case "_":
      return [null, next];
    case "#":
      return [line === "t" ? 1 : 0, next];
    case "$":
    case "=": {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return undefined;
      return [buf.toString("latin1", next, next + n), next + n + 2];
    }
    case "*":
    case "~":
    case ">":
    case "%": {
      const n = Number(line);
      if (n < 0) return [null, next];
      const count = type === "%" ? n * 2 : n;
      const items: RawReply[] = [];
      let p = next;
      for (let i = 0; i < count; i++) {
        const r = parse(buf, p, statusObjects);
        if (r === undefined) return undefined;
        items.push(r[0]);
        p = r[1];
      }
      if (type === "%") {
        const map: [RawReply, RawReply][] = [];
        for (let i = 0; i < items.length; i += 2) map.push([items[i] as RawReply, items[i + 1] as RawReply]);
        return [{ map }, p];
      }
      if (type === ">") return [{ push: items }, p];
      return [items, p];
    }
    default:
      throw new Error(
        `unexpected reply type ${JSON.stringify(type)} in ${JSON.stringify(buf.toString("latin1", pos, pos + 80))}`,
      );
  }
}
