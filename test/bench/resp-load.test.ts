import { createServer, type Server } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { benchKey, loadDueAtOnce, respPipe } from "./resp-load.js";

/**
 * A fake RESP server: parses each command array and answers `+OK` (or `reply(args)`), recording
 * the last SET of every key; `pauseAfter` commands in, it stops answering for `pauseMs` once (a
 * host that slows down mid-load).
 */
async function fakeServer(opts: { pauseAfter?: number; pauseMs?: number; reply?: (args: string[]) => string } = {}) {
  const sets = new Map<string, string[]>();
  let seen = 0;
  let paused = false;
  const server: Server = createServer((socket) => {
    let buf = "";
    const queue: string[] = [];
    let draining = false;
    const drain = () => {
      if (draining) return;
      draining = true;
      while (queue.length > 0) {
        if (!paused && opts.pauseAfter !== undefined && seen === opts.pauseAfter) {
          paused = true;
          setTimeout(() => {
            draining = false;
            drain();
          }, opts.pauseMs ?? 0);
          seen++;
          return;
        }
        const out = queue.shift() as string;
        socket.write(out);
        if (opts.pauseAfter === undefined || seen !== opts.pauseAfter) seen++;
      }
      draining = false;
    };
    socket.on("data", (d) => {
      buf += d.toString("latin1");
      for (;;) {
        // *N\r\n then N × ($len\r\nbytes\r\n)
        if (!buf.startsWith("*")) return;
        let at = buf.indexOf("\r\n");
        if (at < 0) return;
        const n = Number(buf.slice(1, at));
        let pos = at + 2;
        const args: string[] = [];
        for (let i = 0; i < n; i++) {
          at = buf.indexOf("\r\n", pos);
          if (at < 0) return;
          const len = Number(buf.slice(pos + 1, at));
          if (buf.length < at + 2 + len + 2) return;
          args.push(buf.slice(at + 2, at + 2 + len));
          pos = at + 2 + len + 2;
        }
        buf = buf.slice(pos);
        if (args[0] === "SET") sets.set(args[1] as string, args);
        queue.push(opts.reply?.(args) ?? "+OK\r\n");
      }
    });
    socket.on("data", drain);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  return { port, sets, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe("RESP mass loader (bench)", () => {
  const servers: { close: () => Promise<void> }[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
  });

  it("gives every key the one deadline it returns", async () => {
    const s = await fakeServer();
    servers.push(s);
    const n = 30_000;
    const load = await loadDueAtOnce(s.port, n);
    expect(load.moves).toBe(0);
    expect(s.sets.size).toBe(n);
    for (let i = 0; i < n; i += 997) expect(s.sets.get(benchKey(i))?.slice(3)).toEqual(["PXAT", String(load.dueAt)]);
    expect(load.dueAt).toBeGreaterThan(Date.now() + 1000);
  });

  it("moves the deadline when the host slows down, and sets the keys already sent again with it", async () => {
    // Calibration answers fast; then the server stalls 3 s half-way: the projection overruns.
    const s = await fakeServer({ pauseAfter: 10_000 + 15_000, pauseMs: 3000 });
    servers.push(s);
    const n = 30_000;
    const load = await loadDueAtOnce(s.port, n, { pipe: { chunk: 500, inFlight: 1000 } });
    expect(load.moves).toBeGreaterThanOrEqual(1);
    expect(load.resent).toBeGreaterThan(0);
    const deadlines = new Set([...s.sets.values()].map((args) => args[4]));
    expect(s.sets.size).toBe(n);
    expect([...deadlines]).toEqual([String(load.dueAt)]);
  }, 30_000);

  it("fails with the server's error reply", async () => {
    const s = await fakeServer({ reply: () => "-ERR wrong number of arguments\r\n" });
    servers.push(s);
    await expect(respPipe(s.port, 0, 10, (i) => ["SET", benchKey(i)])).rejects.toThrow(
      "server replied: ERR wrong number of arguments",
    );
  });
});
