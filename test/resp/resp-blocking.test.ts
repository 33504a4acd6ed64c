/**
 * Blocking commands over the RESP port, differential against redis-server 7.0: every scenario
 * runs on both servers (the server bundle and Debian's redis-server), with the same clients
 * doing the same things in the same order; every reply must be identical. A client is known to
 * be blocked when the server says so (INFO's blocked_clients), not after a sleep.
 */
import { once } from "node:events";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import { useRespAndRedis } from "../support/resp-and-redis.js";
import { type RawReply, RawRespClient } from "../support/resp-raw.js";

const servers = useRespAndRedis();

/** Waits until the server reports `n` blocked clients (polled, bounded). */
async function untilBlocked(admin: RawRespClient, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const info = (await admin.call("INFO", "clients")) as string;
    const m = /blocked_clients:(\d+)/.exec(info);
    if (m && Number(m[1]) === n) return;
    if (Date.now() > deadline) throw new Error(`never saw ${n} blocked clients:\n${info}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One scenario: clients, in order; `block` sends without reading; `read` collects a reply. */
type Step =
  | { readonly c: number; readonly call: string[] }
  | { readonly c: number; readonly block: string[]; readonly blocked: number }
  | { readonly c: number; readonly read: true }
  | { readonly unblockClient: number; readonly how?: string };

/** Runs `steps` on the server at `port` with fresh keys; returns every reply, in order. */
async function run(port: number, prefix: string, steps: readonly Step[]): Promise<RawReply[]> {
  const clients = await Promise.all([0, 1, 2, 3].map(() => RawRespClient.open(port)));
  const admin = await RawRespClient.open(port);
  const ids = await Promise.all(clients.map((c) => c.call("CLIENT", "ID")));
  const k = (args: string[]) => args.map((a) => a.replace(/\{(\w+)\}/g, (_m, name: string) => `${prefix}:${name}`));
  const out: RawReply[] = [];
  try {
    for (const step of steps) {
      if ("unblockClient" in step) {
        const args = ["CLIENT", "UNBLOCK", String(ids[step.unblockClient])];
        if (step.how !== undefined) args.push(step.how);
        out.push(await admin.call(...args));
      } else if ("call" in step) {
        out.push(await (clients[step.c] as RawRespClient).call(...k(step.call)));
      } else if ("block" in step) {
        (clients[step.c] as RawRespClient).command(...k(step.block));
        await untilBlocked(admin, step.blocked);
      } else {
        out.push(await (clients[step.c] as RawRespClient).read());
      }
    }
  } finally {
    for (const c of [...clients, admin]) c.close();
  }
  return out;
}

let scenario = 0;
/** Runs a scenario on both servers and expects identical replies. */
async function same(steps: readonly Step[]): Promise<RawReply[]> {
  const prefix = `blk${scenario++}`;
  const theirs = await run(servers.redis.port, prefix, steps);
  const mine = await run(servers.ours.respPort, prefix, steps);
  expect(mine).toEqual(theirs);
  return mine;
}

describe("blocking commands answered at once (differential)", () => {
  const commands: string[][] = [
    ["RPUSH", "{a}", "1", "2", "3"],
    ["BLPOP", "{x}", "{a}", "0"],
    ["BRPOP", "{a}", "0.5"],
    ["BLMPOP", "0", "2", "{x}", "{a}", "LEFT", "COUNT", "5"],
    ["BLPOP", "{a}", "-1"],
    ["BLPOP", "{a}", "abc"],
    ["BLPOP", "{a}", "inf"],
    ["BLPOP", "{a}", "1e300"],
    ["BLPOP", "{a}"],
    ["SET", "{s}", "v"],
    ["BLPOP", "{s}", "0"],
    ["BRPOPLPUSH", "{s}", "{d}", "0"],
    ["BLMOVE", "{s}", "{d}", "LEFT", "RIGHT", "0"],
    ["BLMOVE", "{s}", "{d}", "UP", "RIGHT", "0"],
    ["BLMOVE", "{s}", "{d}", "LEFT", "RIGHT", "-5"],
    ["RPUSH", "{l}", "a", "b"],
    ["BLMOVE", "{l}", "{s}", "LEFT", "RIGHT", "0"],
    ["BLMOVE", "{l}", "{l2}", "LEFT", "RIGHT", "0"],
    ["BRPOPLPUSH", "{l}", "{l2}", "0"],
    ["LRANGE", "{l2}", "0", "-1"],
    ["BLMPOP", "-1", "1", "{l}", "LEFT"],
    ["BLMPOP", "0", "0", "{l}", "LEFT"],
    ["BLMPOP", "0", "1", "{l}", "MIDDLE"],
    ["BLMPOP", "0", "1", "{l}", "LEFT", "COUNT", "0"],
    ["BLMPOP", "0", "1", "{l}", "LEFT", "COUNT", "1", "COUNT", "2"],
    ["BLMPOP", "0", "3", "{l}", "LEFT"],
    ["ZADD", "{z}", "1", "a", "2", "b", "3", "c", "1.5", "d"],
    ["BZPOPMIN", "{y}", "{z}", "0"],
    ["BZPOPMAX", "{z}", "0"],
    ["BZPOPMIN", "{s}", "0"],
    ["BZPOPMIN", "{z}", "-0.5"],
    ["BZMPOP", "0", "1", "{z}", "MIN", "COUNT", "10"],
    ["BZMPOP", "0", "1", "{z}", "LEFT"],
    ["ZADD", "{z}", "1", "a", "2", "b"],
    ["ZMPOP", "2", "{y}", "{z}", "MAX"],
    ["ZMPOP", "1", "{z}", "MIN", "COUNT", "5"],
    ["ZMPOP", "1", "{z}", "MIN"],
    ["ZMPOP", "1", "{s}", "MIN"],
    ["ZMPOP", "0", "{z}", "MIN"],
    ["ZMPOP", "1", "{z}"],
    ["ZMPOP", "1", "{z}", "MIN", "COUNT", "-1"],
    ["MULTI"],
    ["BLPOP", "{none}", "0"],
    ["BZPOPMIN", "{none}", "0"],
    ["BLMOVE", "{none}", "{d}", "LEFT", "LEFT", "0"],
    ["BZMPOP", "0", "1", "{none}", "MIN"],
    ["EXEC"],
  ];
  it("replies and errors as Redis 7.0", async () => {
    await same(commands.map((call) => ({ c: 0, call })));
  });

  it("a nil from a pop that replies arrays is a null array (*-1) in RESP2, as Redis", async () => {
    for (const [args, raw] of [
      [["BLPOP", "blk:none", "0.01"], "*-1\r\n"],
      [["ZMPOP", "1", "blk:none", "MIN"], "*-1\r\n"],
      [["LMPOP", "1", "blk:none", "LEFT"], "*-1\r\n"],
      [["BLMOVE", "blk:none", "blk:d", "LEFT", "LEFT", "0.01"], "*-1\r\n"],
      [["XREAD", "STREAMS", "blk:none", "0"], "*-1\r\n"],
      [["XREAD", "BLOCK", "10", "STREAMS", "blk:none", "$"], "*-1\r\n"],
    ] as const) {
      for (const port of [servers.redis.port, servers.ours.respPort]) {
        const socket = connect({ host: "127.0.0.1", port });
        await once(socket, "connect");
        socket.write(`*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join("")}`);
        const [data] = (await once(socket, "data")) as [Buffer];
        socket.destroy();
        expect(`${port === servers.redis.port ? "redis" : "ours"} ${args[0]}: ${data.toString("latin1")}`).toBe(
          `${port === servers.redis.port ? "redis" : "ours"} ${args[0]}: ${raw}`,
        );
      }
    }
  });
});

describe("a blocked RESP client (differential)", () => {
  it("is woken by LPUSH, FIFO with another blocked client, each served from the ready key", async () => {
    const replies = await same([
      { c: 0, block: ["BLPOP", "{a}", "{b}", "0"], blocked: 1 },
      { c: 1, block: ["BRPOP", "{b}", "0"], blocked: 2 },
      { c: 2, call: ["RPUSH", "{b}", "1", "2", "3"] },
      { c: 0, read: true },
      { c: 1, read: true },
      { c: 2, call: ["LRANGE", "{b}", "0", "-1"] },
    ]);
    expect(replies.slice(1)).toEqual([[expect.stringMatching(/:b$/), "1"], [expect.stringMatching(/:b$/), "3"], ["2"]]);
  });

  it("is woken after a MULTI/EXEC commits, from the first key the transaction made ready", async () => {
    await same([
      { c: 0, block: ["BLPOP", "{a}", "{b}", "0"], blocked: 1 },
      { c: 1, call: ["MULTI"] },
      { c: 1, call: ["RPUSH", "{b}", "1"] },
      { c: 1, call: ["RPUSH", "{a}", "2"] },
      { c: 1, call: ["LLEN", "{b}"] },
      { c: 1, call: ["EXEC"] },
      { c: 0, read: true },
      { c: 1, call: ["LRANGE", "{a}", "0", "-1"] },
    ]);
  });

  it("is woken by RENAME, LMOVE and a BLMOVE chain", async () => {
    await same([
      { c: 0, block: ["BLPOP", "{r}", "0"], blocked: 1 },
      { c: 1, call: ["RPUSH", "{src}", "x", "y"] },
      { c: 1, call: ["RENAME", "{src}", "{r}"] },
      { c: 0, read: true },
      { c: 0, block: ["BLMOVE", "{m}", "{n}", "RIGHT", "LEFT", "0"], blocked: 1 },
      { c: 2, block: ["BLPOP", "{n}", "0"], blocked: 2 },
      { c: 1, call: ["LMOVE", "{r}", "{m}", "LEFT", "LEFT"] },
      { c: 0, read: true },
      { c: 2, read: true },
      { c: 1, call: ["EXISTS", "{r}", "{m}", "{n}"] },
    ]);
  });

  it("sorted sets: BZPOPMIN, BZPOPMAX and BZMPOP woken by ZADD", async () => {
    await same([
      { c: 0, block: ["BZPOPMIN", "{z}", "0"], blocked: 1 },
      { c: 1, block: ["BZMPOP", "0", "1", "{z}", "MAX", "COUNT", "2"], blocked: 2 },
      { c: 2, block: ["BZPOPMAX", "{z}", "0"], blocked: 3 },
      { c: 3, call: ["ZADD", "{z}", "1", "a", "2", "b", "3", "c", "4", "d"] },
      { c: 0, read: true },
      { c: 1, read: true },
      { c: 2, read: true },
      { c: 3, call: ["ZRANGE", "{z}", "0", "-1", "WITHSCORES"] },
    ]);
  });

  it("stays blocked on a key of another type, then BLMOVE onto a wrong-type destination fails", async () => {
    await same([
      { c: 0, block: ["BLPOP", "{k}", "0"], blocked: 1 },
      { c: 1, call: ["SET", "{k}", "string"] },
      { c: 1, call: ["DEL", "{k}"] },
      { c: 1, call: ["LPUSH", "{k}", "v"] },
      { c: 0, read: true },
      { c: 0, block: ["BLMOVE", "{s}", "{d}", "LEFT", "LEFT", "0"], blocked: 1 },
      { c: 1, call: ["SET", "{d}", "string"] },
      { c: 1, call: ["RPUSH", "{s}", "v"] },
      { c: 0, read: true },
      { c: 1, call: ["LRANGE", "{s}", "0", "-1"] },
    ]);
  });

  it("times out with nil, and CLIENT UNBLOCK ends a wait as a timeout or an error", async () => {
    await same([
      { c: 0, call: ["BLPOP", "{t}", "0.05"] },
      { c: 0, call: ["BZMPOP", "0.05", "1", "{t}", "MIN"] },
      { c: 0, block: ["BLPOP", "{t}", "0"], blocked: 1 },
      { unblockClient: 0 },
      { c: 0, read: true },
      { c: 0, block: ["BRPOPLPUSH", "{t}", "{u}", "0"], blocked: 1 },
      { unblockClient: 0, how: "ERROR" },
      { c: 0, read: true },
      { unblockClient: 0 },
      { unblockClient: 1, how: "SOMETIMES" },
      { c: 1, call: ["RPUSH", "{t}", "v"] },
      { c: 1, call: ["LLEN", "{t}"] },
    ]);
  });

  it("a client that disconnects while blocked is removed (nothing popped for it)", async () => {
    for (const port of [servers.ours.respPort]) {
      const gone = await RawRespClient.open(port);
      const admin = await RawRespClient.open(port);
      gone.command("BLPOP", "blk:gone", "0");
      await untilBlocked(admin, 1);
      gone.close();
      await untilBlocked(admin, 0);
      expect(await admin.call("RPUSH", "blk:gone", "v")).toBe(1);
      expect(await admin.call("LPOP", "blk:gone")).toBe("v");
      admin.close();
    }
  });
});
