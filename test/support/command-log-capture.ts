/**
 * What a RESP server logs and shows for a run of commands: its replies, its slow log and its
 * monitor's lines, in a form two servers (ours and redis-server) can be compared in. The
 * differential SLOWLOG/MONITOR tests (MULTI/EXEC, scripts) share it.
 */
import { expect } from "vitest";
import { type RawReply, RawRespClient } from "./resp-raw.js";

/** One server's log of a run. */
export interface CommandLogCapture {
  readonly replies: RawReply[];
  /**
   * The slow log, oldest first, one line per entry: its arguments joined by spaces, followed by
   * ` @?:0` when a script's command (Redis's client `?:0`; other clients' addresses differ).
   */
  readonly slowlog: string[];
  /**
   * The monitor's lines, without time and client address; a script's commands keep their client
   * as `[lua]`.
   */
  readonly monitor: string[];
}

/**
 * Runs `run` on a client of the server at `port` while the slow log keeps every command and a
 * monitor listens; `run` gets that client and a second one, and returns the replies it wants
 * compared.
 */
export async function captureCommandLog(
  port: number,
  run: (client: RawRespClient, other: RawRespClient) => Promise<RawReply[]>,
): Promise<CommandLogCapture> {
  const c = await RawRespClient.open(port);
  const other = await RawRespClient.open(port);
  const m = await RawRespClient.open(port);
  m.statusObjects = true;
  try {
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    expect(await m.call("MONITOR")).toEqual({ status: "OK" });
    await c.call("SLOWLOG", "RESET");
    const replies = await run(c, other);
    await c.call("PING", "end");
    const monitor: string[] = [];
    for (;;) {
      const line = ((await m.read()) as { status: string }).status.replace(/^\S+ \[0 ((?!lua)[^\]]+)\] /, "");
      if (line === '"PING" "end"') break;
      monitor.push(line.replace(/^\S+ \[0 lua\]/, "[lua]"));
    }
    const entries = (await c.call("SLOWLOG", "GET", "-1")) as RawReply[][];
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
    const show = (e: RawReply[]) => `${(e[3] as string[]).join(" ")}${e[4] === "?:0" ? " @?:0" : ""}`;
    return { replies, slowlog: entries.map(show).reverse(), monitor };
  } finally {
    c.close();
    other.close();
    m.close();
  }
}
