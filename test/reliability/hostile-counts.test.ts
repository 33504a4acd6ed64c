/**
 * Commands whose work or reply size a client chooses, against the bundled server with its default
 * limits (replies ≤ 1,000,000 elements, --max-reply-elements, and ≤ 64 MiB of bulk strings): the
 * worst call at each cap is answered, the next one past it is refused with RESOURCE_EXHAUSTED
 * before the work, and a second client's Health.Check keeps answering throughout (issue 12 item 7).
 */
import { readFileSync } from "node:fs";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandService } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { SetsService } from "../../shared/gen/memorabilia/v1/sets_service_pb.js";
import type { ServerProcess } from "../support/server-process.js";
import { startHealthProbeThread } from "./health-probe-thread.js";
import { startBundledServer } from "./hostile-support.js";

const MIB = 1024 * 1024;
const enc = (s: string) => new TextEncoder().encode(s);

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) * 1024;
}

describe("client-sized commands (bundled server)", () => {
  let server: ServerProcess;
  let raw: ReturnType<typeof createClient<typeof CommandService>>;
  let sets: ReturnType<typeof createClient<typeof SetsService>>;
  const exec = (...args: (string | Uint8Array)[]) =>
    raw.execute({ args: args.map((a) => (typeof a === "string" ? enc(a) : a)) }, { timeoutMs: 120_000 });
  const refusal = async (call: Promise<unknown>): Promise<ConnectError> => {
    try {
      await call;
    } catch (e) {
      return ConnectError.from(e);
    }
    throw new Error("expected RESOURCE_EXHAUSTED");
  };

  beforeAll(async () => {
    server = await startBundledServer([]);
    const transport = createGrpcTransport({ baseUrl: server.url });
    raw = createClient(CommandService, transport);
    sets = createClient(SetsService, transport);
    await exec("SADD", "s", ...Array.from({ length: 1000 }, (_, i) => `member:${i}`));
    await exec("HSET", "h", ...Array.from({ length: 1000 }, (_, i) => [`f${i}`, `v${i}`]).flat());
    await exec("ZADD", "z", ...Array.from({ length: 1000 }, (_, i) => [String(i), `m${i}`]).flat());
    await exec("SET", "v", new Uint8Array(MIB).fill(0x61));
    // A 500,000-field hash (HSETs of 25,000 pairs: a command holds at most --max-args 100,000 arguments).
    for (let i = 0; i < 500_000; i += 25_000)
      await exec("HSET", "bigh", ...Array.from({ length: 25_000 }, (_, j) => [`field:${i + j}`, `v${j}`]).flat());
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
  });

  it("the worst RANDMEMBER calls at the cap are answered while Health.Check keeps answering; past it they are refused first", async () => {
    const rss0 = rssOf(server.pid);
    // On its own thread: decoding 100,000 elements blocks this one too, and is not the server's time.
    const probe = startHealthProbeThread(server.url, 20);
    const timings: string[] = [];
    const timed = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
      probe.label(what);
      const t0 = performance.now();
      const out = await call();
      timings.push(`${what} ${Math.round(performance.now() - t0)} ms`);
      probe.label("");
      return out;
    };
    const typed = await timed("SRandMember -100000 (typed)", () =>
      sets.sRandMember({ key: "s", count: -100_000n }, { timeoutMs: 120_000 }),
    );
    expect(typed.members).toHaveLength(100_000);
    // An ordinary big reply, as Redis answers it: every field and value of a 500,000-field hash.
    const all = await timed("HGETALL of 500,000 fields", () => exec("HGETALL", "bigh"));
    expect(all.reply?.kind.case === "array" && all.reply.kind.value.elements.length).toBe(1_000_000);
    const r1 = await timed("SRANDMEMBER s -1000000", () => exec("SRANDMEMBER", "s", "-1000000"));
    expect(r1.reply?.kind.case === "array" && r1.reply.kind.value.elements.length).toBe(1_000_000);
    const r2 = await timed("HRANDFIELD h -500000 WITHVALUES", () => exec("HRANDFIELD", "h", "-500000", "WITHVALUES"));
    expect(r2.reply?.kind.case === "array" && r2.reply.kind.value.elements.length).toBe(1_000_000);
    const r3 = await timed("ZRANDMEMBER z -50000 WITHSCORES", () => exec("ZRANDMEMBER", "z", "-50000", "WITHSCORES"));
    expect(r3.reply?.kind.case === "array" && r3.reply.kind.value.elements.length).toBe(100_000);

    // One past the cap, or far past it (the ZRANDMEMBER z -16777217, 2^31): refused at once.
    for (const args of [
      ["SRANDMEMBER", "s", "-1000001"],
      ["ZRANDMEMBER", "z", "-16777217"],
      ["HRANDFIELD", "h", "-500001", "WITHVALUES"],
      ["SRANDMEMBER", "s", "-2147483648"],
      ["SRANDMEMBER", "s", "-9223372036854775807"],
    ]) {
      const e = await refusal(exec(...args));
      expect(e.code, args.join(" ")).toBe(Code.ResourceExhausted);
      expect(e.rawMessage).toMatch(/^ERR reply too large: \d+ elements \(max-reply-elements 1000000\)/);
    }
    // One 1 MiB value asked for 100 times: 100 MiB of reply from a 2 KB request.
    const e = await refusal(exec("MGET", ...Array.from({ length: 100 }, () => "v")));
    expect(e.code).toBe(Code.ResourceExhausted);
    expect(e.rawMessage).toMatch(/^ERR reply too large: 104857600 bytes \(max-reply-bytes 67108864\)/);
    // 100,000 copies of one set: each distinct set is visited once.
    const inter = await timed("SINTER s ×99999", () => exec("SINTER", ...Array.from({ length: 99_999 }, () => "s")));
    expect(inter.reply?.kind.case === "array" && inter.reply.kind.value.elements.length).toBe(1000);
    const z = await refusal(exec("ZINTERSTORE", "d", "99996", ...Array.from({ length: 99_996 }, () => "z")));
    expect(z.rawMessage).toMatch(/^ERR too much work: 'zinterstore' would visit 99996000 members/);

    const report = await probe.stop();
    const rss1 = rssOf(server.pid);
    const worst = Math.max(...Object.values(report.worstMs));
    const held = Object.entries(report.worstMs)
      .filter(([what]) => what !== "")
      .map(([what, ms]) => `${what} ${ms} ms`);
    console.log(
      `client-sized commands (client-observed, decoding included): ${timings.join("; ")}; slowest Health.Check during each: ${held.join("; ")}; worst ${worst} ms of ${report.checks}; RSS ${Math.round(rss0 / MIB)} -> ${Math.round(rss1 / MIB)} MiB`,
    );
    expect(report.failures).toEqual([]);
    expect(worst).toBeLessThan(5_000);
    expect(rss1 - rss0).toBeLessThan(1024 * MIB);
  }, 300_000);

  it("--max-reply-bytes and --max-reply-elements set the reply bounds; --max-args does not", async () => {
    const small = await startBundledServer([
      "--max-reply-bytes",
      "1000",
      "--max-reply-elements",
      "50",
      "--max-args",
      "10",
    ]);
    try {
      const client = createClient(CommandService, createGrpcTransport({ baseUrl: small.url }));
      const run = (...args: string[]) => client.execute({ args: args.map(enc) });
      await run("SET", "v", "x".repeat(600));
      await run("SADD", "s", "a", "b");
      expect((await run("MGET", "v")).reply?.kind.case).toBe("array");
      const bytes = await refusal(run("MGET", "v", "v"));
      expect(bytes.code).toBe(Code.ResourceExhausted);
      expect(bytes.rawMessage).toMatch(/^ERR reply too large: 1200 bytes \(max-reply-bytes 1000\)/);
      expect((await run("SRANDMEMBER", "s", "-50")).reply?.kind.case).toBe("array");
      expect((await refusal(run("SRANDMEMBER", "s", "-51"))).rawMessage).toMatch(
        /51 elements \(max-reply-elements 50\)/,
      );
      // --max-args bounds requests only.
      const args = await refusal(run("SADD", "s", ...Array.from({ length: 10 }, (_, i) => `m${i}`)));
      expect(args.rawMessage).toMatch(/^ERR too many arguments \(12 > max 10\)/);
    } finally {
      await small.stop();
    }
  }, 60_000);
});
