/**
 * A real redis-server as the reference for differential tests: started on a Unix socket in a
 * temporary directory (no TCP port, nothing to collide with), without persistence, and a
 * minimal RESP2 client that keeps every byte and every integer exact (int64 as text).
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreError } from "../../shared/store/errors.js";
import { type Reply, Status } from "../../shared/store/reply.js";

/** A reply in a form both sides share: integers as `{ int }` text, bulk strings as latin1 text. */
export type RefReply = string | null | { int: string } | { status: string } | { error: string } | RefReply[];

/** The redis-server binary, or undefined when none is installed. */
export function redisServerBinary(): string | undefined {
  const found = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const path = found.stdout.trim();
  return found.status === 0 && path !== "" ? path : undefined;
}

/** A running reference server and a connection to it. */
export interface RedisReference {
  /** Sends one command (arguments as byte strings) and reads its reply. */
  call(args: readonly string[]): Promise<RefReply>;
  /**
   * Records every keyspace event (`event key`) from now on, on a second connection; `drain()`
   * returns those recorded so far once the server has delivered all that precede the call.
   */
  recordEvents(): Promise<{ drain(): Promise<string[]> }>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
  /** The redis-server version line (`v=7.0.15`). */
  readonly version: string;
}

/** Starts redis-server (extra `config` arguments, e.g. `["--hll-sparse-max-bytes", "3000"]`). */
export async function startRedisReference(config: readonly string[] = []): Promise<RedisReference> {
  const binary = redisServerBinary();
  if (binary === undefined) throw new Error("redis-server is not installed (apt-get install redis-server)");
  const version = spawnSync(binary, ["--version"], { encoding: "utf8" }).stdout.match(/v=[0-9.]+/)?.[0] ?? "v=?";
  const dir = mkdtempSync(join(tmpdir(), "memorabilia-redis-ref-"));
  const sock = join(dir, "redis.sock");
  const child: ChildProcess = spawn(
    binary,
    ["--port", "0", "--unixsocket", sock, "--save", "", "--appendonly", "no", "--dir", dir, ...config],
    // The C locale: SORT ALPHA collates with strcoll, which is byte order there.
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LC_ALL: "C" } },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => {
    log += d.toString();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server not ready in 30 s:\n${log}`)), 30_000);
    const check = (): void => {
      if (/ready to accept connections/i.test(log)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${log}`));
    });
  }).catch((error: unknown) => {
    // Never leave a server behind when it did not come up in time.
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const main = await connection(sock);
  const sockets: Socket[] = [main.socket];
  return {
    call: main.call,
    version,
    async recordEvents() {
      await main.call(["CONFIG", "SET", "notify-keyspace-events", "KEA"]);
      const sub = await connection(sock);
      sockets.push(sub.socket);
      const events: string[] = [];
      let done: (() => void) | undefined;
      await sub.call(["PSUBSCRIBE", "__keyevent@*__:*", "drained"]);
      // The second subscription's confirmation.
      await sub.next();
      void (async () => {
        for (;;) {
          const m = (await sub.next()) as RefReply[];
          if (m[0] === "pmessage" && m[2] === "drained") done?.();
          else if (m[0] === "pmessage") events.push(`${String(m[2]).replace(/^__keyevent@0__:/, "")} ${m[3]}`);
        }
      })().catch(() => {});
      return {
        async drain() {
          const drained = new Promise<void>((resolve) => {
            done = resolve;
          });
          await main.call(["PUBLISH", "drained", "x"]);
          await drained;
          return events.splice(0);
        },
      };
    },
    async stop() {
      for (const s of sockets) s.destroy();
      if (child.exitCode === null) {
        child.kill("SIGKILL");
        await once(child, "exit");
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One RESP2 connection: `call` sends a command and reads a reply, `next` reads one more. */
async function connection(
  path: string,
): Promise<{ socket: Socket; call(args: readonly string[]): Promise<RefReply>; next(): Promise<RefReply> }> {
  const socket: Socket = connect({ path });
  await once(socket, "connect");
  let buf: Buffer = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  socket.on("data", (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
    wake?.();
  });
  const next = async (): Promise<RefReply> => {
    for (;;) {
      const parsed = parseReply(buf, 0);
      if (parsed !== undefined) {
        buf = buf.subarray(parsed[1]);
        return parsed[0];
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  };
  const call = async (args: readonly string[]): Promise<RefReply> => {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = Buffer.from(a, "latin1");
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from("\r\n"));
    }
    socket.write(Buffer.concat(parts));
    return next();
  };
  return { socket, call, next };
}

function parseReply(buf: Buffer, pos: number): [RefReply, number] | undefined {
  if (pos >= buf.length) return undefined;
  const cr = buf.indexOf("\r\n", pos);
  if (cr < 0) return undefined;
  const type = String.fromCharCode(buf[pos] as number);
  const line = buf.toString("latin1", pos + 1, cr);
  const next = cr + 2;
  switch (type) {
    case "+":
      return [{ status: line }, next];
    case "-":
      return [{ error: line }, next];
    case ":":
      return [{ int: line }, next];
    case "$": {
      const n = Number(line);
      if (n < 0) return [null, next];
      if (buf.length < next + n + 2) return undefined;
      return [buf.toString("latin1", next, next + n), next + n + 2];
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return [null, next];
      const items: RefReply[] = [];
      let p = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, p);
        if (r === undefined) return undefined;
        items.push(r[0]);
        p = r[1];
      }
      return [items, p];
    }
    default:
      throw new Error(`unexpected RESP type ${type}`);
  }
}

/** The store's reply (or thrown StoreError) in the reference's form. */
export function toRefReply(reply: Reply): RefReply {
  if (reply === null) return null;
  if (reply instanceof StoreError) return { error: reply.message };
  if (reply instanceof Status) return { status: reply.text };
  if (typeof reply === "number" || typeof reply === "bigint") return { int: String(reply) };
  if (typeof reply === "string") return reply;
  return (reply as readonly Reply[]).map(toRefReply);
}
