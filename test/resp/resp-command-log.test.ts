/**
 * SLOWLOG and MONITOR, as Redis 7 has them, fed by every host: RESP commands, gRPC typed RPCs,
 * CommandService.Execute, TransactionService.Batch (each command) and Exec (MULTI, each command, EXEC
 * to monitors only, as Redis logs a MULTI/EXEC: see resp-multi-log.test.ts). The replies,
 * errors, truncation and MONITOR line format are Redis's (checked against redis-server 7 when
 * installed); ServerService.SlowLog/Monitor need an admin token, on both `--transport` lanes.
 */
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bearerAuth } from "../../shared/client/auth.js";
import { createServiceClients, type MemorabiliaClient } from "../../shared/client/index.js";
import { Code, rpcError } from "../integration/support/protocols.js";
import { type RawReply, RawRespClient } from "../support/resp-raw.js";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

const ADMIN = "admin-secret-0123456789";
const READER = "reader-secret-0123456789";
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => Buffer.from(b).toString("latin1");

let server: RespServerProcess;
let admin: MemorabiliaClient;
const opened: RawRespClient[] = [];

async function resp(): Promise<RawRespClient> {
  const c = await RawRespClient.open(server.respPort);
  opened.push(c);
  expect(await c.call("AUTH", ADMIN)).toBe("OK");
  return c;
}

function clients(secret: string, url = server.url): MemorabiliaClient {
  return createServiceClients(createGrpcTransport({ baseUrl: url, interceptors: [bearerAuth(secret)] }));
}

/** SLOWLOG GET -1 as [args, addr, name] of each entry, newest first. */
async function slowEntries(c: RawRespClient): Promise<{ args: string[]; addr: string; name: string; us: number }[]> {
  const reply = (await c.call("SLOWLOG", "GET", "-1")) as RawReply[][];
  return reply.map((e) => ({
    args: e[3] as string[],
    us: e[2] as number,
    addr: e[4] as string,
    name: e[5] as string,
  }));
}

beforeAll(async () => {
  server = await startRespServerProcess(["--token", `root:admin:${ADMIN}`, "--token", `viewer:readonly:${READER}`]);
  admin = clients(ADMIN);
});

afterAll(async () => {
  for (const c of opened) c.close();
  await server?.stop();
});

describe("SLOWLOG on the RESP port", () => {
  it("answers HELP, LEN, RESET and refuses bad counts and subcommands with Redis's words", async () => {
    const c = await resp();
    const help = (await c.call("SLOWLOG", "HELP")) as string[];
    expect(help[0]).toBe("SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    expect(help).toHaveLength(12);
    expect(await c.call("SLOWLOG", "GET", "-2")).toEqual({ error: "ERR count should be greater than or equal to -1" });
    expect(await c.call("SLOWLOG", "GET", "abc")).toEqual({ error: "ERR count should be greater than or equal to -1" });
    expect(await c.call("SLOWLOG", "GET", "1", "2")).toEqual({
      error: "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.",
    });
    expect(await c.call("SLOWLOG", "LEN", "x")).toEqual({
      error: "ERR wrong number of arguments for 'slowlog|len' command",
    });
    expect(await c.call("SLOWLOG", "nope")).toEqual({ error: "ERR unknown subcommand 'nope'. Try SLOWLOG HELP." });
    expect(await c.call("SLOWLOG")).toEqual({ error: "ERR wrong number of arguments for 'slowlog' command" });
    expect(await c.call("SLOWLOG", "RESET")).toBe("OK");
    // RESET itself ran at or above the threshold only if it is 0; with the default nothing is this slow.
    expect(await c.call("SLOWLOG", "LEN")).toBe(0);
  });

  it("a read-only token may not read the slow log or monitor (they show every client's arguments)", async () => {
    const c = await RawRespClient.open(server.respPort);
    opened.push(c);
    expect(await c.call("AUTH", READER)).toBe("OK");
    expect(((await c.call("SLOWLOG", "GET")) as { error: string }).error).toMatch(/^NOPERM/);
    expect(((await c.call("MONITOR")) as { error: string }).error).toMatch(/^NOPERM/);
    const reader = clients(READER);
    expect((await rpcError(reader.server.slowLog({}))).code).toBe(Code.PermissionDenied);
    const stream = reader.server.monitor({});
    expect((await rpcError((async () => stream[Symbol.asyncIterator]().next())())).code).toBe(Code.PermissionDenied);
  });

  it("logs commands of every host: RESP, typed RPCs, Execute, Batch and Exec per command", async () => {
    const c = await resp();
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0")).toBe("OK");
    expect(await c.call("SLOWLOG", "RESET")).toBe("OK");
    expect(await c.call("CLIENT", "SETNAME", "cli-1")).toBe("OK");
    expect(await c.call("SET", "sl:a", "1")).toBe("OK");
    await admin.strings.get({ key: "sl:typed" });
    await admin.command.execute({ args: [enc("INCR"), enc("sl:exec")] });
    await admin.transaction.batch({
      commands: [
        { kind: { case: "set", value: { key: "sl:b1", value: enc("x") } } },
        { kind: { case: "get", value: { key: "sl:b2" } } },
      ],
    });
    await admin.transaction.exec({
      commands: [
        { kind: { case: "set", value: { key: "sl:t1", value: enc("y") } } },
        { kind: { case: "incrBy", value: { key: "sl:t2", delta: 2n } } },
      ],
    });
    const entries = await slowEntries(c);
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000")).toBe("OK");
    const lines = entries.map((e) => e.args.join(" ")).reverse();
    expect(lines).toEqual([
      "SLOWLOG RESET",
      "CLIENT SETNAME cli-1",
      "SET sl:a 1",
      "GET sl:typed",
      "INCR sl:exec",
      "SET sl:b1 x",
      "GET sl:b2",
      "MULTI",
      "SET sl:t1 y",
      "INCRBY sl:t2 2",
    ]);
    const set = entries.find((e) => e.args[0] === "SET" && e.args[1] === "sl:a");
    expect(set?.name).toBe("cli-1");
    expect(set?.addr).toMatch(/^127\.0\.0\.1:\d+$/);
    const typed = entries.find((e) => e.args[1] === "sl:typed");
    expect(typed?.addr).toBe("127.0.0.1");
    expect(typed?.us).toBeGreaterThanOrEqual(0);
    // The typed view of the same log.
    const viaRpc = await admin.server.slowLog({ count: 2 });
    expect(viaRpc.entries.map((e) => e.args.map(dec).join(" "))).toEqual(["SLOWLOG GET -1", "INCRBY sl:t2 2"]);
    expect(viaRpc.entries[1]?.client?.source).toBe("grpc:/memorabilia.v1.TransactionService/Exec");
    expect(viaRpc.slowerThanUs).toBe(10_000n);
    expect(viaRpc.maxLen).toBe(128n);
  });

  it("keeps arguments as Redis does: 32 at most, 128 bytes each, AUTH redacted; max-len trims", async () => {
    const c = await resp();
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0", "slowlog-max-len", "3")).toBe("OK");
    const many = Array.from({ length: 40 }, (_, i) => `m${i}`);
    expect(await c.call("SADD", "sl:set", ...many)).toBe(40);
    expect(await c.call("SET", "sl:long", "v".repeat(200))).toBe("OK");
    expect(await c.call("AUTH", "root", ADMIN)).toBe("OK");
    const entries = await slowEntries(c);
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128")).toBe("OK");
    expect(entries).toHaveLength(3);
    expect(entries[0]?.args).toEqual(["AUTH", "(redacted)", "(redacted)"]);
    expect(entries[1]?.args).toEqual(["SET", "sl:long", `${"v".repeat(128)}... (72 more bytes)`]);
    const sadd = entries[2]?.args as string[];
    expect(sadd).toHaveLength(32);
    expect(sadd.slice(0, 3)).toEqual(["SADD", "sl:set", "m0"]);
    expect(sadd[31]).toBe("... (11 more arguments)");
  });

  it("CONFIG and ServerService.SetConfig set the same two settings, with Redis's bounds", async () => {
    const c = await resp();
    expect(await c.call("CONFIG", "GET", "slowlog*")).toEqual([
      "slowlog-log-slower-than",
      "10000",
      "slowlog-max-len",
      "128",
    ]);
    expect(await c.call("CONFIG", "SET", "slowlog-log-slower-than", "-5")).toEqual({
      error:
        "ERR CONFIG SET failed (possibly related to argument 'slowlog-log-slower-than') - argument must be between -1 and 9223372036854775807 inclusive",
    });
    expect(await c.call("CONFIG", "SET", "slowlog-max-len", "abc")).toEqual({
      error:
        "ERR CONFIG SET failed (possibly related to argument 'slowlog-max-len') - argument couldn't be parsed into an integer",
    });
    const { config } = await admin.server.setConfig({ slowlogLogSlowerThan: -1n, slowlogMaxLen: 7n });
    expect(config?.slowlogLogSlowerThan).toBe(-1n);
    expect(await c.call("CONFIG", "GET", "slowlog*")).toEqual([
      "slowlog-log-slower-than",
      "-1",
      "slowlog-max-len",
      "7",
    ]);
    expect((await rpcError(admin.server.setConfig({ slowlogLogSlowerThan: -2n }))).code).toBe(Code.InvalidArgument);
    await admin.server.setConfig({ slowlogLogSlowerThan: 10_000n, slowlogMaxLen: 128n });
  });
});

describe("MONITOR", () => {
  it("streams Redis's exact lines for RESP and gRPC commands, hides administration, and limits the monitor client", async () => {
    const c = await resp();
    const m = await resp();
    m.statusObjects = true;
    expect(await m.call("MONITOR")).toEqual({ status: "OK" });
    expect(await c.call("SET", "mon:k", 'a "b"\n\x00\x7f')).toBe("OK");
    expect(await c.call("CONFIG", "GET", "timeout")).toEqual(["timeout", "0"]);
    await admin.strings.get({ key: "mon:typed" });
    const first = (await m.read()) as { status: string };
    expect(first.status).toMatch(/^\d{10}\.\d{6} \[0 127\.0\.0\.1:\d+\] "SET" "mon:k" "a \\"b\\"\\n\\x00\\x7f"$/);
    const second = (await m.read()) as { status: string };
    expect(second.status).toMatch(/^\d{10}\.\d{6} \[0 127\.0\.0\.1\] "GET" "mon:typed"$/);
    // The monitor itself: keyspace commands refused, PING answered, MONITOR again silent, RESET leaves.
    expect(await m.call("GET", "x")).toEqual({ error: "ERR Replica can't interact with the keyspace" });
    expect(await m.call("PING")).toEqual({ status: "PONG" });
    expect(((await m.read()) as { status: string }).status).toMatch(/"PING"$/);
    m.send("MONITOR\r\n");
    expect(await m.call("RESET")).toEqual({ status: "RESET" });
    expect(await c.call("SET", "mon:after", "1")).toBe("OK");
    expect(await m.call("AUTH", ADMIN)).toEqual({ status: "OK" });
    expect(await m.call("GET", "mon:after")).toBe("1");
  });

  it("quotes arguments as Redis's sdscatrepr does", async () => {
    const c = await resp();
    const m = await resp();
    m.statusObjects = true;
    await m.call("MONITOR");
    await c.call("SET", "k\\ey", "\t\x07\x08\r");
    const line = ((await m.read()) as { status: string }).status;
    expect(line.replace(/^\S+ \[0 [^\]]+\] /, "")).toBe('"SET" "k\\\\ey" "\\t\\a\\b\\r"');
    m.close();
  });
});

describe("ServerService.Monitor", () => {
  for (const transport of ["fast", "connect"] as const) {
    it(`streams commands with their durations to an admin (--transport ${transport})`, async () => {
      const s =
        transport === "fast"
          ? server
          : await startRespServerProcess(["--transport", "connect", "--token", `root:admin:${ADMIN}`]);
      try {
        const a = clients(ADMIN, s.url);
        const abort = new AbortController();
        const stream = a.server.monitor({}, { signal: abort.signal })[Symbol.asyncIterator]();
        const started = await stream.next();
        expect(started.value?.kind.case).toBe("started");
        const c = await RawRespClient.open(s.respPort);
        opened.push(c);
        await c.call("AUTH", ADMIN);
        await c.call("CLIENT", "SETNAME", "worker");
        await c.call("RPUSH", "mq:l", "a", "b");
        await a.transaction.exec({ commands: [{ kind: { case: "set", value: { key: "mq:t", value: enc("1") } } }] });
        const seen: string[] = [];
        while (seen.length < 6) {
          const next = await stream.next();
          const kind = next.value?.kind;
          if (kind?.case !== "command") continue;
          const cmd = kind.value;
          seen.push(`${cmd.args.map(dec).join(" ")}|${cmd.client?.name}|${cmd.durationUs >= 0n ? "timed" : "untimed"}`);
        }
        abort.abort();
        expect(seen).toEqual([
          "AUTH (redacted)||timed",
          "CLIENT SETNAME worker|worker|timed",
          "RPUSH mq:l a b|worker|timed",
          "MULTI||timed",
          "SET mq:t 1||timed",
          "EXEC||timed",
        ]);
      } finally {
        if (s !== server) await s.stop();
      }
    });
  }

  it("a monitor that does not read is closed at the stream byte limit, and the server stays well", async () => {
    const s = await startRespServerProcess([
      "--token",
      `root:admin:${ADMIN}`,
      "--stream-buffer-hard-bytes",
      "65536",
      "--stream-buffer-soft-bytes",
      "32768",
    ]);
    try {
      const a = clients(ADMIN, s.url);
      const abort = new AbortController();
      const stream = a.server.monitor({}, { signal: abort.signal })[Symbol.asyncIterator]();
      await stream.next();
      // Pile up more than the limit while the reader does not read (big arguments).
      const c = await RawRespClient.open(s.respPort);
      opened.push(c);
      await c.call("AUTH", ADMIN);
      const value = "x".repeat(32 * 1024);
      for (let i = 0; i < 64; i++) c.send(`*3\r\n$3\r\nSET\r\n$5\r\nmq:bg\r\n$${value.length}\r\n${value}\r\n`);
      for (let i = 0; i < 64; i++) expect(await c.read()).toBe("OK");
      const error = await rpcError(
        (async () => {
          for (;;) {
            const r = await stream.next();
            if (r.done) return;
          }
        })(),
      );
      expect(error.code).toBe(Code.ResourceExhausted);
      expect(await c.call("PING")).toBe("PONG");
      abort.abort();
    } finally {
      await s.stop();
    }
  });
});
