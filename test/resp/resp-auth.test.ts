/**
 * Auth on the RESP port, byte by byte: NOAUTH before AUTH (Redis's wording and order: unknown
 * command and arity first), Redis's tighter bounds on unauthenticated requests, AUTH with a
 * secret alone or `name secret`, HELLO … AUTH, roles and key patterns per command (as on gRPC,
 * inside MULTI too), RESET signing out; and protected mode for non-loopback clients.
 */
import { networkInterfaces } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RawRespClient } from "../support/resp-raw.js";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

const ADMIN = "resp-auth-admin-secret-012345";
const WRITER = "resp-auth-writer-secret-01234";
const READER = "resp-auth-reader-secret-01234";
let server: RespServerProcess;
const opened: RawRespClient[] = [];

async function client(port = server.respPort, host?: string): Promise<RawRespClient> {
  const c = await RawRespClient.open(port, host);
  opened.push(c);
  return c;
}

beforeAll(async () => {
  server = await startRespServerProcess([
    "--token",
    `root:admin:${ADMIN}`,
    "--token",
    `app:readwrite:${WRITER}:app:*`,
    "--token",
    `viewer:readonly:${READER}`,
  ]);
});

afterAll(async () => {
  for (const c of opened) c.close();
  await server?.stop();
});

describe("RESP auth", () => {
  it("before AUTH: unknown and arity errors first, then NOAUTH; PING too", async () => {
    const c = await client();
    expect(await c.call("NOSUCH")).toEqual({ error: "ERR unknown command 'NOSUCH', with args beginning with: " });
    expect(await c.call("GET")).toEqual({ error: "ERR wrong number of arguments for 'get' command" });
    expect(await c.call("GET", "k")).toEqual({ error: "NOAUTH Authentication required." });
    expect(await c.call("PING")).toEqual({ error: "NOAUTH Authentication required." });
    expect(await c.call("CONFIG", "GET", "*")).toEqual({ error: "NOAUTH Authentication required." });
    expect(await c.call("HELLO", "3")).toEqual({
      error:
        "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time",
    });
    expect(await c.call("AUTH", "wrong-secret-xxxxxxxxxx")).toEqual({
      error: "WRONGPASS invalid username-password pair or user is disabled.",
    });
    expect(await c.call("AUTH", "app", ADMIN)).toEqual({
      error: "WRONGPASS invalid username-password pair or user is disabled.",
    });
    expect(await c.call("AUTH", ADMIN)).toBe("OK");
    expect(await c.call("PING")).toBe("PONG");
  });

  it("an unauthenticated client may not send large requests (Redis's bounds)", async () => {
    const many = await client();
    many.command(...Array.from({ length: 11 }, () => "x"));
    expect(await many.read()).toEqual({ error: "ERR Protocol error: unauthenticated multibulk length" });
    await many.closed;
    const big = await client();
    big.send(`*2\r\n$3\r\nGET\r\n$${16 * 1024 + 1}\r\n`);
    expect(await big.read()).toEqual({ error: "ERR Protocol error: unauthenticated bulk length" });
    await big.closed;
    // Once authenticated, the server's own limits apply.
    const ok = await client();
    expect(await ok.call("AUTH", "root", ADMIN)).toBe("OK");
    expect(await ok.call("SET", "big", "v".repeat(100_000))).toBe("OK");
  });

  it("roles and key patterns per command, as on gRPC", async () => {
    const app = await client();
    expect(await app.call("AUTH", "app", WRITER)).toBe("OK");
    expect(await app.call("SET", "app:1", "v")).toBe("OK");
    expect(await app.call("GET", "other:1")).toEqual({
      error: "NOPERM token 'app' (readwrite) has no permissions to access key 'other:1' (outside its key patterns)",
    });
    expect(await app.call("FLUSHALL")).toMatchObject({ error: expect.stringMatching(/^NOPERM/) });
    expect(await app.call("CONFIG", "SET", "timeout", "0")).toMatchObject({ error: expect.stringMatching(/^NOPERM/) });
    expect(await app.call("PUBLISH", "chan", "m")).toBe(0);
    // Inside MULTI a refused command aborts the transaction.
    expect(await app.call("MULTI")).toBe("OK");
    expect(await app.call("SET", "app:2", "v")).toBe("QUEUED");
    expect(await app.call("SET", "other:2", "v")).toMatchObject({ error: expect.stringMatching(/^NOPERM/) });
    expect(await app.call("EXEC")).toEqual({ error: "EXECABORT Transaction discarded because of previous errors." });
    expect(await app.call("GET", "app:2")).toBeNull();
    expect(await app.call("WATCH", "other:3")).toMatchObject({ error: expect.stringMatching(/^NOPERM/) });

    const viewer = await client();
    expect(await viewer.call("HELLO", "3", "AUTH", "viewer", READER)).toMatchObject({ map: expect.any(Array) });
    expect(await viewer.call("GET", "app:1")).toBe("v");
    expect(await viewer.call("SET", "app:1", "w")).toMatchObject({
      error: expect.stringMatching(/^NOPERM token 'viewer' \(readonly\) has no permissions to run the 'set' command/),
    });
    expect(await viewer.call("PUBLISH", "chan", "m")).toMatchObject({ error: expect.stringMatching(/^NOPERM/) });
    expect(await viewer.call("CLIENT", "KILL", "ID", "1")).toMatchObject({ error: expect.stringMatching(/^NOPERM/) });
    // RESET signs out.
    expect(await viewer.call("RESET")).toBe("RESET");
    expect(await viewer.call("GET", "app:1")).toEqual({ error: "NOAUTH Authentication required." });
  });

  it("wrong secrets are throttled per address, as on gRPC (the server's one login)", async () => {
    const throttled = await startRespServerProcess([
      "--token",
      `root:admin:${ADMIN}`,
      "--auth-failure-burst",
      "3",
      "--auth-failure-refill-ms",
      "600000",
    ]);
    try {
      const c = await client(throttled.respPort);
      const replies = [];
      for (let i = 0; i < 5; i++) replies.push(await c.call("AUTH", `wrong-secret-${i}-xxxxxxxxxx`));
      expect(replies.slice(0, 3)).toEqual(
        Array(3).fill({ error: "WRONGPASS invalid username-password pair or user is disabled." }),
      );
      expect(replies[4]).toMatchObject({ error: expect.stringMatching(/^ERR too many failed authentications/) });
      // Even the right secret is refused from this address until a try comes back (fail2ban-like).
      expect(await c.call("AUTH", ADMIN)).toMatchObject({ error: expect.stringMatching(/^ERR too many failed/) });
    } finally {
      await throttled.stop();
    }
  });

  it("protected mode refuses non-loopback clients while no token is configured", async () => {
    const external = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === "IPv4" && !a.internal)?.address;
    if (external === undefined) return; // a machine with loopback only cannot show it
    const open = await startRespServerProcess(["--host", "0.0.0.0"]);
    try {
      const local = await client(open.respPort, "127.0.0.1");
      expect(await local.call("PING")).toBe("PONG");
      const remote = await client(open.respPort, external);
      expect(await remote.read()).toMatchObject({ error: expect.stringMatching(/^DENIED .*protected mode/) });
      await remote.closed;
    } finally {
      await open.stop();
    }
  });
});
