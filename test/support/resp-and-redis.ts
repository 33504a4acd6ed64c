/**
 * The set-up every differential RESP test file shares: the server bundle with `--resp-port` and
 * Debian's redis-server 7.0, started together before the file's tests and stopped by PID after
 * them (even when a test failed).
 */
import { afterAll, beforeAll } from "vitest";
import { type RedisServer, startRedisServer } from "./redis-server.js";
import { type RespServerProcess, startRespServerProcess } from "./resp-server.js";

/** Both servers of a test file; read them inside tests (they start in the file's beforeAll). */
export interface RespAndRedis {
  /** The server bundle, started with `--resp-port 0` plus the file's arguments. */
  readonly ours: RespServerProcess;
  readonly redis: RedisServer;
  /** Runs `f` on our RESP port and on redis-server's port at once: `[ours, redis]`. */
  both<T>(f: (port: number) => Promise<T>): Promise<[T, T]>;
}

/**
 * Registers the file's beforeAll/afterAll that start and stop both servers; call it at the top
 * level of a test file. `args` are passed to our server (after `--resp-port 0`).
 */
export function useRespAndRedis(args: readonly string[] = []): RespAndRedis {
  let ours: RespServerProcess | undefined;
  let redis: RedisServer | undefined;
  const started = <T>(server: T | undefined): T => {
    if (server === undefined) throw new Error("the servers are read before the file's beforeAll started them");
    return server;
  };
  beforeAll(async () => {
    const [a, b] = await Promise.allSettled([startRespServerProcess(args), startRedisServer()]);
    if (a.status === "fulfilled") ours = a.value;
    if (b.status === "fulfilled") redis = b.value;
    if (a.status === "rejected") throw a.reason;
    if (b.status === "rejected") throw b.reason;
  }, 60_000);
  afterAll(async () => {
    await Promise.all([ours?.stop(), redis?.stop()]);
  });
  return {
    get ours() {
      return started(ours);
    },
    get redis() {
      return started(redis);
    },
    both<T>(f: (port: number) => Promise<T>): Promise<[T, T]> {
      return Promise.all([f(started(ours).respPort), f(started(redis).port)]);
    },
  };
}
