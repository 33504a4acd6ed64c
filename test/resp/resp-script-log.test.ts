/**
 * Scripts in SLOWLOG and MONITOR, differential against redis-server 7.0: the same EVAL, EVALSHA
 * and EVAL_RO calls (a script writing and reading, one whose command fails under pcall, one
 * raising an error, one inside MULTI) on both servers; the slow log's entries (arguments, newest
 * first, with the client when it is a script's) and the monitor's lines (time removed, the
 * client's address kept only when it is `lua`) must be the same. Redis shows EVAL to monitors
 * before the commands its script runs, each of those as run by the `lua` client; its slow log has
 * each of those commands (client `?:0`), then the EVAL, whose duration covers its script.
 */
import { describe, expect, it } from "vitest";
import { type CommandLogCapture, captureCommandLog } from "../support/command-log-capture.js";
import { useRespAndRedis } from "../support/resp-and-redis.js";
import type { RawReply } from "../support/resp-raw.js";

const servers = useRespAndRedis();

const WRITE_READ = "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])";
const FAILING_CALL = "return redis.pcall('INCR', KEYS[1])";
const RAISING = "redis.call('SET', KEYS[1], 'x'); return redis.call('LPUSH', KEYS[1], 'y')";

async function runScript(port: number): Promise<CommandLogCapture> {
  return captureCommandLog(port, async (c) => {
    const sha = (await c.call("SCRIPT", "LOAD", WRITE_READ)) as string;
    const script: string[][] = [
      ["EVAL", WRITE_READ, "1", "sl:a", "1"],
      ["EVALSHA", sha, "1", "sl:b", "2"],
      ["EVAL_RO", "return redis.call('GET', KEYS[1])", "1", "sl:a"],
      ["SET", "sl:s", "text"],
      ["EVAL", FAILING_CALL, "1", "sl:s"],
      ["EVAL", RAISING, "1", "sl:r"],
      ["EVAL", "return 1", "0"],
      ["MULTI"],
      ["EVAL", WRITE_READ, "1", "sl:m", "3"],
      ["GET", "sl:m"],
      ["EXEC"],
    ];
    const replies: RawReply[] = [];
    for (const argv of script) replies.push(await c.call(...argv));
    return replies;
  });
}

describe("scripts in SLOWLOG and MONITOR (as redis-server 7.0)", () => {
  it("shows EVAL before the commands its script runs (client lua), and slow-logs each, then the EVAL", async () => {
    const [a, b] = await servers.both(runScript);
    expect(a.replies).toEqual(b.replies);
    expect(a.monitor).toEqual(b.monitor);
    expect(a.slowlog).toEqual(b.slowlog);
  });
});
