/**
 * node-redis (the `redis` package) against the RESP port of the bundled server, over RESP2 and
 * RESP3: every command family, MULTI/EXEC and WATCH, Pub/Sub, and auth with tokens.
 */
import { createClient } from "redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

const SECRET = "resp-node-redis-secret-0123456789";
const READER = "resp-node-redis-reader-0123456789";
let server: RespServerProcess;
type Client = ReturnType<typeof createClient>;
const clients: Client[] = [];

async function connect(protocol: 2 | 3, auth: { username?: string; password?: string } = {}): Promise<Client> {
  const c = createClient({
    socket: { host: "127.0.0.1", port: server.respPort, reconnectStrategy: false },
    RESP: protocol,
    username: auth.username,
    password: auth.password ?? SECRET,
  }) as Client;
  c.on("error", () => {});
  clients.push(c);
  await c.connect();
  return c;
}

beforeAll(async () => {
  server = await startRespServerProcess([
    "--token",
    `admin:admin:${SECRET}`,
    "--token",
    `reader:readonly:${READER}:pub:*`,
  ]);
});

afterAll(async () => {
  for (const c of clients) if (c.isOpen) c.destroy();
  await server?.stop();
});

describe.each([2, 3] as const)("node-redis, RESP%i", (protocol) => {
  const p = `nr${protocol}`;

  it("strings, keys, lists, hashes, sets, sorted sets", async () => {
    const c = await connect(protocol);
    expect(await c.ping()).toBe("PONG");
    expect(await c.set(`${p}:s`, "v")).toBe("OK");
    expect(await c.get(`${p}:s`)).toBe("v");
    expect(await c.incrBy(`${p}:n`, 5)).toBe(5);
    expect(await c.exists([`${p}:s`, `${p}:none`])).toBe(1);
    expect(await c.rPush(`${p}:l`, ["a", "b"])).toBe(2);
    expect(await c.lRange(`${p}:l`, 0, -1)).toEqual(["a", "b"]);
    expect(await c.hSet(`${p}:h`, { f: "1", g: "2" })).toBe(2);
    expect({ ...(await c.hGetAll(`${p}:h`)) }).toEqual({ f: "1", g: "2" });
    expect(await c.sAdd(`${p}:set`, ["x", "y"])).toBe(2);
    expect([...(await c.sMembers(`${p}:set`))].sort()).toEqual(["x", "y"]);
    expect(
      await c.zAdd(`${p}:z`, [
        { score: 1.5, value: "m" },
        { score: 3, value: "n" },
      ]),
    ).toBe(2);
    expect(Number(await c.zScore(`${p}:z`, "m"))).toBe(1.5);
    expect(await c.zRangeWithScores(`${p}:z`, 0, -1)).toEqual([
      { value: "m", score: 1.5 },
      { value: "n", score: 3 },
    ]);
    expect(await c.dbSize()).toBeGreaterThan(0);
    expect(await c.info("server")).toMatch(/redis_version:/);
    await expect(c.sendCommand(["NOSUCH"])).rejects.toThrow("ERR unknown command 'NOSUCH', with args beginning with: ");
  });

  it("MULTI/EXEC and WATCH", async () => {
    const c = await connect(protocol);
    const other = await connect(protocol);
    expect(await c.multi().set(`${p}:t`, "1").incr(`${p}:t`).exec()).toEqual(["OK", 2]);
    await c.watch(`${p}:w`);
    await other.set(`${p}:w`, "x");
    await expect(c.multi().set(`${p}:w`, "y").exec()).rejects.toThrow();
    expect(await c.get(`${p}:w`)).toBe("x");
  });

  it("Pub/Sub with a subscriber client", async () => {
    const pub = await connect(protocol);
    const sub = await connect(protocol);
    const got: string[] = [];
    await sub.subscribe(`${p}:ch`, (message, channel) => got.push(`${channel}:${message}`));
    await sub.pSubscribe(`${p}:p*`, (message, channel) => got.push(`p ${channel}:${message}`));
    expect(await pub.publish(`${p}:ch`, "hello")).toBe(1);
    expect(await pub.publish(`${p}:px`, "there")).toBe(1);
    await expect.poll(() => got.length).toBe(2);
    expect(got).toEqual([`${p}:ch:hello`, `p ${p}:px:there`]);
    await sub.unsubscribe(`${p}:ch`);
    await sub.pUnsubscribe(`${p}:p*`);
    expect(await pub.publish(`${p}:ch`, "gone")).toBe(0);
  });

  it("auth: a wrong secret is refused, a read-only token cannot write or reach other keys", async () => {
    await expect(connect(protocol, { password: "wrong-secret-0123456789" })).rejects.toThrow("WRONGPASS");
    const reader = await connect(protocol, { username: "reader", password: READER });
    expect(await reader.get("pub:x")).toBeNull();
    await expect(reader.set("pub:x", "v")).rejects.toThrow(/^NOPERM token 'reader' \(readonly\)/);
    await expect(reader.get("secret:x")).rejects.toThrow(/NOPERM .*outside its key patterns/);
    await expect(reader.sendCommand(["CONFIG", "SET", "timeout", "0"])).rejects.toThrow(/NOPERM/);
  });
});
