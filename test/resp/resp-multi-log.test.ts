/**
 * MULTI/EXEC in SLOWLOG and MONITOR, differential against redis-server 7.0: the same
 * transactions (committed, DISCARDed, a command failing at run time, EXECABORT, a WATCH that
 * aborts) on both servers; the slow log's entries (arguments, newest first) and the monitor's
 * lines (without time and client address) must be the same. Redis logs each command a
 * transaction ran as its own entry and shows it to monitors when EXEC runs it, never when it is
 * queued; EXEC itself is not slow-logged (its `skip_slowlog` flag) and is shown after the
 * commands it ran.
 */
import { describe, expect, it } from "vitest";
import { type CommandLogCapture, captureCommandLog } from "../support/command-log-capture.js";
import { useRespAndRedis } from "../support/resp-and-redis.js";
import type { RawReply } from "../support/resp-raw.js";

const servers = useRespAndRedis();

async function runScript(port: number): Promise<CommandLogCapture> {
  return captureCommandLog(port, async (c, other) => {
    const replies: RawReply[] = [];
    const script: string[][] = [
      ["MULTI"],
      ["SET", "ml:a", "1"],
      ["GET", "ml:a"],
      ["INCR", "ml:a"],
      ["EXEC"],
      ["MULTI"],
      ["SET", "ml:b", "1"],
      ["DISCARD"],
      ["MULTI"],
      ["SET", "ml:c", "1"],
      ["LPUSH", "ml:c", "x"],
      ["EXEC"],
      ["MULTI"],
      ["SET", "ml:d"],
      ["GET", "ml:d"],
      ["EXEC"],
      ["WATCH", "ml:w"],
    ];
    for (const argv of script) replies.push(await c.call(...argv));
    replies.push(await other.call("SET", "ml:w", "2"));
    for (const argv of [["MULTI"], ["SET", "ml:w", "3"], ["EXEC"], ["GET", "ml:w"]])
      replies.push(await c.call(...argv));
    return replies;
  });
}

describe("MULTI/EXEC in SLOWLOG and MONITOR (as redis-server 7.0)", () => {
  it("logs and shows each command a transaction ran, when EXEC runs it, and EXEC only to monitors", async () => {
    const [a, b] = await servers.both(runScript);
    expect(a.replies).toEqual(b.replies);
    expect(a.slowlog).toEqual(b.slowlog);
    expect(a.monitor).toEqual(b.monitor);
    // What Redis 7.0.15 gives, spelled out (the comparison above is the proof).
    expect(a.slowlog.slice(0, 8)).toEqual([
      "SLOWLOG RESET",
      "MULTI",
      "SET ml:a 1",
      "GET ml:a",
      "INCR ml:a",
      "MULTI",
      "DISCARD",
      "MULTI",
    ]);
    expect(a.monitor.slice(0, 5)).toEqual(['"MULTI"', '"SET" "ml:a" "1"', '"GET" "ml:a"', '"INCR" "ml:a"', '"EXEC"']);
  });
});
