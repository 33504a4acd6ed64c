/**
 * Stream replies and nils nested in replies, byte for byte against redis-server 7.0, over RESP2
 * and RESP3 (HELLO 3): XREAD/XREADGROUP/XINFO as maps under RESP3, the null arrays (`*-1`) Redis
 * sends inside XPENDING, XREADGROUP's history of deleted entries and EXEC's array. Time-dependent
 * figures (idle times, seen/active times) and the radix tree counts (no radix tree here) are masked.
 * Last, with `--fsync always`, replies pipelined before a blocking command are not held by it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { useRespAndRedis } from "../support/resp-and-redis.js";
import { RawRespClient } from "../support/resp-raw.js";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

const servers = useRespAndRedis();

const TIMED = /(\$\d+\r\n(?:idle|seen-time|active-time|inactive|radix-tree-keys|radix-tree-nodes)\r\n):-?\d+\r\n/g;

/** Runs `commands` on a fresh connection of `port` (keys prefixed); the raw replies, masked. */
async function run(port: number, protocol: 2 | 3, prefix: string, commands: readonly string[][]): Promise<string[]> {
  const c = await RawRespClient.open(port);
  const out: string[] = [];
  try {
    if (protocol === 3) {
      c.command("HELLO", "3");
      await c.readRaw();
    }
    for (const cmd of commands) {
      const args = cmd.map((a) => a.replace(/\{(\w+)\}/g, (_m, name: string) => `${prefix}:${name}`));
      const raw = await c.callRaw(...args);
      out.push(`${cmd.join(" ")} => ${raw.replace(TIMED, "$1:#\r\n").replaceAll(prefix, "P")}`);
    }
  } finally {
    c.close();
  }
  return out;
}

let n = 0;
async function same(protocol: 2 | 3, commands: readonly string[][]): Promise<void> {
  const prefix = `shape${n++}`;
  const theirs = await run(servers.redis.port, protocol, prefix, commands);
  const mine = await run(servers.ours.respPort, protocol, prefix, commands);
  expect(mine.join("\n")).toBe(theirs.join("\n"));
}

const STREAMS: string[][] = [
  ["XADD", "{s}", "1-1", "a", "1"],
  ["XADD", "{s}", "1-2", "b", "2", "c", "3"],
  ["XADD", "{t}", "5-0", "x", "y"],
  ["XREAD", "STREAMS", "{s}", "{t}", "0", "0"],
  ["XREAD", "COUNT", "1", "STREAMS", "{s}", "0"],
  ["XREAD", "STREAMS", "{s}", "1-2"],
  ["XREAD", "BLOCK", "10", "STREAMS", "{s}", "$"],
  ["XGROUP", "CREATE", "{s}", "g", "0"],
  ["XPENDING", "{s}", "g"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "{s}", ">"],
  ["XREADGROUP", "GROUP", "g", "bob", "COUNT", "1", "STREAMS", "{s}", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "{s}", "0"],
  ["XDEL", "{s}", "1-1"],
  ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "{s}", "0"],
  ["XREADGROUP", "GROUP", "g", "alice", "NOACK", "STREAMS", "{s}", ">"],
  ["XREADGROUP", "GROUP", "g", "alice", "BLOCK", "10", "STREAMS", "{s}", ">"],
  ["XPENDING", "{s}", "g"],
  ["XPENDING", "{s}", "g", "-", "+", "10", "nobody"],
  ["XCLAIM", "{s}", "g", "bob", "0", "1-1", "1-2"],
  ["XCLAIM", "{s}", "g", "bob", "0", "1-1", "1-2", "JUSTID"],
  ["XAUTOCLAIM", "{s}", "g", "carol", "0", "0"],
  ["XACK", "{s}", "g", "1-2"],
  ["XPENDING", "{s}", "g"],
  ["XINFO", "STREAM", "{s}"],
  ["XINFO", "STREAM", "{t}"],
  ["XINFO", "GROUPS", "{s}"],
  ["XINFO", "CONSUMERS", "{s}", "g"],
  ["XINFO", "STREAM", "{s}", "FULL"],
  ["XINFO", "STREAM", "{s}", "FULL", "COUNT", "1"],
  ["XADD", "{e}", "1-1", "f", "v"],
  ["XDEL", "{e}", "1-1"],
  ["XINFO", "STREAM", "{e}"],
  ["XINFO", "STREAM", "{e}", "FULL"],
  ["XRANGE", "{s}", "-", "+"],
  ["XRANGE", "{s}", "-", "+", "COUNT", "0"],
];

const EXEC: string[][] = [
  ["LPOP", "{none}", "2"],
  ["RPOP", "{none}", "2"],
  ["LPOP", "{none}"],
  ["MULTI"],
  ["GET", "{none}"],
  ["BLPOP", "{none}", "0"],
  ["LPOP", "{none}"],
  ["LPOP", "{none}", "2"],
  ["XREAD", "STREAMS", "{none}", "0"],
  ["ZPOPMIN", "{none}"],
  ["LMPOP", "1", "{none}", "LEFT"],
  ["BLMOVE", "{none}", "{d}", "LEFT", "LEFT", "0"],
  ["HGET", "{none}", "f"],
  ["ZSCORE", "{none}", "m"],
  ["EXEC"],
];

describe("stream replies and nils (top-level and nested) as redis-server 7.0 sends them (bytes)", () => {
  it("RESP2: streams", async () => {
    await same(2, STREAMS);
  });
  it("RESP3: streams (maps for XREAD, XREADGROUP, XINFO)", async () => {
    await same(3, STREAMS);
  });
  it("RESP2: nils inside EXEC", async () => {
    await same(2, EXEC);
  });
  it("RESP3: nils inside EXEC", async () => {
    await same(3, EXEC);
  });
});

describe("--fsync always: replies pipelined before a blocking command", () => {
  const dir = mkdtempSync(join(tmpdir(), "memorabilia-resp-fsync-"));
  let server: RespServerProcess | undefined;
  // Stopped here rather than in the test: a test that times out does not run its finally.
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("leave (once durable) while it blocks; what follows it runs only after it is served", async () => {
    server = await startRespServerProcess(["--data-dir", dir, "--fsync", "always"]);
    const a = await RawRespClient.open(server.respPort);
    const b = await RawRespClient.open(server.respPort);
    try {
      a.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
      a.send("*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n");
      // Both replies arrive while BLPOP blocks (before this fix they waited for BLPOP's reply).
      expect(await a.readRaw()).toBe("+OK\r\n");
      expect(await a.readRaw()).toBe(":1\r\n");
      // The INCR pipelined after BLPOP has not run: n is still 1.
      expect(await b.callRaw("GET", "n")).toBe("$1\r\n1\r\n");
      expect(await b.callRaw("RPUSH", "q", "x")).toBe(":1\r\n");
      expect(await a.readRaw()).toBe("*2\r\n$1\r\nq\r\n$1\r\nx\r\n");
      expect(await a.readRaw()).toBe(":2\r\n");
    } finally {
      a.close();
      b.close();
    }
  });
});
