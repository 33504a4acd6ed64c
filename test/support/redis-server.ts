import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { RawRespClient } from "./resp-raw.js";

/** A redis-server child (Debian's `redis-server`, Redis 7.0) for differential tests. */
export interface RedisServer {
  readonly port: number;
  readonly child: ChildProcess;
  /** Stops it by PID and waits for its exit. */
  stop(): Promise<void>;
}

/** Path of the Redis binary the differential tests compare against. */
export const REDIS_SERVER = process.env.REDIS_SERVER ?? "/usr/bin/redis-server";

/** A free TCP port on 127.0.0.1 (asked of the OS, then released for the child to bind). */
async function freePort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, "127.0.0.1");
  await once(probe, "listening");
  const address = probe.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  probe.close();
  await once(probe, "close");
  return port;
}

/**
 * Starts redis-server on a free port of 127.0.0.1, without persistence, and resolves once it
 * answers PING (retrying a few ports if another process took the one chosen).
 */
export async function startRedisServer(): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      REDIS_SERVER,
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let log = "";
    child.stdout?.on("data", (d: Buffer) => {
      log += d.toString();
    });
    const exited = once(child, "exit");
    const deadline = Date.now() + 20_000;
    let up = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const c = await RawRespClient.open(port);
        const pong = await c.call("PING");
        c.close();
        if (pong === "PONG") {
          up = true;
          break;
        }
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (up) {
      return {
        port,
        child,
        async stop() {
          if (child.exitCode === null) {
            child.kill("SIGTERM");
            await exited;
          }
        },
      };
    }
    if (child.exitCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    if (attempt >= 3) throw new Error(`redis-server did not start:\n${log}`);
  }
}
