/**
 * Blocking commands as pending RPCs (CommandService.Execute over gRPC, gRPC-Web and Connect) on
 * the server bundle: woken by a write from another client (RPC or RESP), timing out, cancelled by
 * the client and by its deadline (nothing is popped for a caller that went away), FIFO, never
 * killed by --request-timeout-ms or --idle-timeout-ms, and ended at once by a server shutdown.
 */
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandService, type Reply } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { ListEnd, ListsService } from "../../shared/gen/memorabilia/v1/lists_service_pb.js";
import { ScoreEnd, SortedSetsService } from "../../shared/gen/memorabilia/v1/sorted_sets_service_pb.js";
import { RawRespClient } from "../support/resp-raw.js";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

const enc = new TextEncoder();
const dec = new TextDecoder();
const args = (...a: string[]) => ({ args: a.map((s) => enc.encode(s)) });

/** A reply as plain data: bulk strings as text, arrays nested, nil as null. */
function plain(reply: Reply | undefined): unknown {
  const k = reply?.kind;
  if (k === undefined || k.case === undefined || k.case === "nil") return null;
  if (k.case === "bulk") return dec.decode(k.value);
  if (k.case === "array") return k.value.elements.map(plain);
  if (k.case === "integer") return Number(k.value);
  return k.value;
}

/**
 * Waits until the server's store holds `n` blocked callers (INFO's blocked_clients counts RPCs
 * too), over a RESP connection of its own (the server's idle timeouts are short here).
 */
async function untilBlocked(port: number, key: string, n: number): Promise<void> {
  const deadline = Date.now() + 20_000;
  const resp = await RawRespClient.open(port);
  for (;;) {
    const info = (await resp.call("INFO", "clients")) as string;
    const m = /blocked_clients:(\d+)/.exec(info);
    if (m && Number(m[1]) === n) {
      resp.close();
      return;
    }
    if (Date.now() > deadline) throw new Error(`never saw ${n} blocked calls on ${key}:\n${info}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe("blocking commands over CommandService.Execute", () => {
  let server: RespServerProcess;
  /** A RESP client per call (the idle timeout closes idle ones). */
  const resp = {
    async call(...a: string[]) {
      const c = await RawRespClient.open(server.respPort);
      try {
        return await c.call(...a);
      } finally {
        c.close();
      }
    },
  };
  beforeAll(async () => {
    // Short request and idle timeouts: a blocked call outlives both.
    server = await startRespServerProcess(["--request-timeout-ms", "300", "--idle-timeout-ms", "300"]);
  });
  afterAll(async () => {
    if (process.env.BLK_LOGS) console.log(server.logs.join("\n"));
    await server?.stop();
  });

  const transports: [string, () => Transport][] = [
    ["gRPC over h2c", () => createGrpcTransport({ baseUrl: server.url })],
    ["gRPC-Web over HTTP/1.1", () => createGrpcWebTransport({ baseUrl: server.url, httpVersion: "1.1" })],
    ["Connect over HTTP/1.1", () => createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })],
    ["Connect over h2c", () => createConnectTransport({ baseUrl: server.url, httpVersion: "2" })],
  ];

  it.each(transports)(
    "%s: woken by a RESP write after the request and idle timeouts passed",
    async (name, transport) => {
      const client = createClient(CommandService, transport());
      const key = `rpc:${name}`;
      const pending = client.execute(args("BLPOP", key, "0"));
      await untilBlocked(server.respPort, key, 1);
      await new Promise((r) => setTimeout(r, 700)); // past --request-timeout-ms and --idle-timeout-ms
      expect(await resp.call("RPUSH", key, "v")).toBe(1);
      expect(plain((await pending).reply)).toEqual([key, "v"]);
    },
  );

  it.each(transports)(
    "%s: times out with nil; a client deadline ends it with DEADLINE_EXCEEDED",
    async (name, transport) => {
      const client = createClient(CommandService, transport());
      const key = `rpc:t:${name}`;
      expect(plain((await client.execute(args("BZPOPMIN", key, "0.05"))).reply)).toBeNull();
      await expect(client.execute(args("BLPOP", key, "0"), { timeoutMs: 100 })).rejects.toMatchObject({
        code: Code.DeadlineExceeded,
      });
      await untilBlocked(server.respPort, key, 0);
      expect(await resp.call("RPUSH", key, "v")).toBe(1);
      expect(await resp.call("LPOP", key)).toBe("v"); // nothing was popped for the caller that left
    },
  );

  it("a cancelled call is removed (nothing popped for it); callers are served FIFO", async () => {
    const client = createClient(CommandService, createConnectTransport({ baseUrl: server.url, httpVersion: "2" }));
    const controller = new AbortController();
    const cancelled = client.execute(args("BLPOP", "rpc:c", "0"), { signal: controller.signal });
    await untilBlocked(server.respPort, "rpc:c", 1);
    const first = client.execute(args("BRPOP", "rpc:c", "0"));
    await untilBlocked(server.respPort, "rpc:c", 2);
    const second = client.execute(args("BLMPOP", "0", "1", "rpc:c", "LEFT", "COUNT", "2"));
    await untilBlocked(server.respPort, "rpc:c", 3);
    controller.abort();
    await expect(cancelled).rejects.toBeInstanceOf(ConnectError);
    await untilBlocked(server.respPort, "rpc:c", 2);
    await client.execute(args("RPUSH", "rpc:c", "1", "2", "3", "4"));
    expect(plain((await first).reply)).toEqual(["rpc:c", "4"]);
    expect(plain((await second).reply)).toEqual(["rpc:c", ["1", "2"]]);
    expect(await resp.call("LRANGE", "rpc:c", "0", "-1")).toEqual(["3"]);
  });

  it("typed RPCs wait too: BPop, BLMove, BLMPop, BZPop, BZMPop woken by typed writes", async () => {
    const transport = createGrpcTransport({ baseUrl: server.url });
    const lists = createClient(ListsService, transport);
    const zsets = createClient(SortedSetsService, transport);
    const bpop = lists.bPop({ keys: ["ty:a", "ty:b"], end: ListEnd.RIGHT, timeout: 0 });
    await untilBlocked(server.respPort, "ty:b", 1);
    const bmove = lists.bLMove({
      source: "ty:s",
      destination: "ty:d",
      from: ListEnd.LEFT,
      to: ListEnd.RIGHT,
      timeout: 30,
    });
    await untilBlocked(server.respPort, "ty:s", 2);
    const bmpop = lists.bLMPop({ keys: ["ty:d"], end: ListEnd.LEFT, count: 5n, timeout: 30.5 });
    await untilBlocked(server.respPort, "ty:d", 3);
    const bz = zsets.bZPop({ keys: ["ty:z"], end: ScoreEnd.MAX, timeout: 0 });
    const bzm = zsets.bZMPop({ keys: ["ty:y", "ty:z"], end: ScoreEnd.MIN, count: 2n, timeout: 0 });
    await untilBlocked(server.respPort, "ty:z", 5);
    await lists.push({ key: "ty:b", end: ListEnd.RIGHT, elements: [enc.encode("1"), enc.encode("2")] });
    expect(await bpop).toMatchObject({ key: "ty:b", element: enc.encode("2") });
    await lists.push({ key: "ty:s", end: ListEnd.RIGHT, elements: [enc.encode("m")] });
    expect(await bmove).toMatchObject({ element: enc.encode("m") });
    expect(await bmpop).toMatchObject({ key: "ty:d", elements: [enc.encode("m")] });
    await zsets.zAdd({
      key: "ty:z",
      members: [
        { member: enc.encode("a"), score: 1 },
        { member: enc.encode("b"), score: 2 },
        { member: enc.encode("c"), score: 3 },
      ],
    });
    expect(await bz).toMatchObject({ key: "ty:z", member: { member: enc.encode("c"), score: 3 } });
    expect(await bzm).toMatchObject({
      key: "ty:z",
      members: [
        { member: enc.encode("a"), score: 1 },
        { member: enc.encode("b"), score: 2 },
      ],
    });
    expect(await zsets.zMPop({ keys: ["ty:z"], end: ScoreEnd.MIN })).toMatchObject({ members: [] });
    const timedOut = await lists.bPop({ keys: ["ty:none"], end: ListEnd.LEFT, timeout: 0.01 });
    expect(timedOut.key).toBeUndefined();
    expect(timedOut.element).toBeUndefined();
  });

  it("errors are Redis's, with INVALID_ARGUMENT", async () => {
    const client = createClient(CommandService, createConnectTransport({ baseUrl: server.url, httpVersion: "2" }));
    await expect(client.execute(args("BLPOP", "k", "-1"))).rejects.toMatchObject({
      code: Code.InvalidArgument,
      rawMessage: "ERR timeout is negative",
    });
  });
});

describe("a server shutdown ends blocked calls at once", () => {
  it("RPC and RESP callers get UNBLOCKED, well before --shutdown-timeout-ms", async () => {
    const server = await startRespServerProcess(["--shutdown-timeout-ms", "20000"]);
    const resp = await RawRespClient.open(server.respPort);
    const admin = await RawRespClient.open(server.respPort);
    try {
      const client = createClient(CommandService, createConnectTransport({ baseUrl: server.url, httpVersion: "2" }));
      const rpc = client.execute(args("BLPOP", "sd", "0")).then(
        () => "replied",
        (e: ConnectError) => `${Code[e.code]}: ${e.rawMessage}`,
      );
      resp.command("BZPOPMIN", "sdz", "0");
      await untilBlocked(server.respPort, "sd", 2);
      const started = Date.now();
      const stopped = server.stop("SIGTERM");
      expect(await rpc).toBe("Unavailable: UNBLOCKED the server is shutting down");
      expect(await resp.read()).toEqual({ error: "UNBLOCKED the server is shutting down" });
      await stopped;
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      resp.close();
      admin.close();
      await server.stop();
    }
  });
});
