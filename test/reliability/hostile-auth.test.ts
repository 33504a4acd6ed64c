/**
 * A token guesser against the bundled server (`dist/server.mjs`): 5,000 wrong tokens from one
 * client address are throttled (most are refused unchecked), counted and logged a few times
 * (never with a token), while a correct client from another address keeps working and a third
 * client's Health.Check keeps answering.
 */
import { randomBytes } from "node:crypto";
import type http2 from "node:http2";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Health } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { StringsService } from "../../shared/gen/memorabilia/v1/strings_service_pb.js";
import { serverBundle } from "../bench/bundle.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { bearer } from "./support.js";

const SECRET = "right-secret-0123456789abcdef";

/** Connect from this local address (net.connect's option; Node's HTTP/2 types omit it). */
const from = (localAddress: string) => ({ localAddress }) as http2.ClientSessionOptions;

/** The value of an exposition line of /metrics (`name{labels}`), or undefined. */
async function metric(url: string, series: string): Promise<number | undefined> {
  const res = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${SECRET}` } });
  const text = await res.text();
  for (const line of text.split("\n")) if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}

describe("hostile auth clients (bundled server)", () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServerProcess(["--token", `app:readwrite:${SECRET}`], {}, serverBundle());
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("5,000 wrong tokens from one address are throttled, counted and logged without the tokens; a correct client elsewhere keeps working", async () => {
    // The guesser comes from 127.0.0.2 (any 127/8 address reaches a loopback listener).
    const guesser = createClient(
      StringsService,
      createGrpcTransport({ baseUrl: server.url, nodeOptions: from("127.0.0.2") }),
    );
    const good = createClient(
      StringsService,
      createGrpcTransport({
        baseUrl: server.url,
        interceptors: [bearer(SECRET)],
        nodeOptions: from("127.0.0.1"),
      }),
    );
    const health = createClient(Health, createGrpcTransport({ baseUrl: server.url }));
    await good.set({ key: "k", value: new TextEncoder().encode("v") });
    const codes = new Map<string, number>();
    const guesses: string[] = [];
    let stop = false;
    let goodCalls = 0;
    let goodWorst = 0;
    let healthWorst = 0;
    const legit = (async () => {
      while (!stop) {
        const t0 = performance.now();
        const r = await good.get({ key: "k" });
        expect(new TextDecoder().decode(r.value)).toBe("v");
        goodWorst = Math.max(goodWorst, performance.now() - t0);
        goodCalls++;
        const t1 = performance.now();
        await health.check({ service: "" });
        healthWorst = Math.max(healthWorst, performance.now() - t1);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const t0 = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < 5_000) {
        next++;
        const token = randomBytes(18).toString("base64url");
        guesses.push(token);
        try {
          await guesser.get({ key: "k" }, { headers: { authorization: `Bearer ${token}` } });
          codes.set("ok", (codes.get("ok") ?? 0) + 1);
        } catch (error) {
          const name = Code[ConnectError.from(error).code];
          codes.set(name, (codes.get(name) ?? 0) + 1);
        }
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    const seconds = (performance.now() - t0) / 1000;
    stop = true;
    await legit;
    const unauthenticated = codes.get("Unauthenticated") ?? 0;
    const throttled = codes.get("ResourceExhausted") ?? 0;
    console.log(
      `guesser: 5000 wrong tokens in ${seconds.toFixed(1)} s: ${unauthenticated} checked (UNAUTHENTICATED), ${throttled} refused unchecked (RESOURCE_EXHAUSTED); correct client: ${goodCalls} calls, slowest ${goodWorst.toFixed(0)} ms; slowest Health.Check ${healthWorst.toFixed(0)} ms`,
    );
    expect(codes.get("ok")).toBeUndefined();
    expect(unauthenticated + throttled).toBe(5_000);
    // A burst of 20, then one try per second.
    expect(unauthenticated).toBeLessThanOrEqual(20 + Math.ceil(seconds) + 1);
    expect(goodCalls).toBeGreaterThan(0);
    expect(goodWorst).toBeLessThan(5_000);
    expect(healthWorst).toBeLessThan(5_000);
    // Counted: every failure, by reason.
    expect(await metric(server.url, 'memorabilia_auth_failures_total{reason="invalid"}')).toBe(unauthenticated);
    expect(await metric(server.url, 'memorabilia_auth_failures_total{reason="throttled"}')).toBe(throttled);
    // Logged, rate-limited (one line per 10 s at most), never with a token.
    const lines = server.logs.filter((l) => l.includes("failed authentication"));
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(Math.ceil(seconds / 10) + 1);
    expect(lines[0]).toContain("127.0.0.2");
    const log = server.logs.join("\n");
    expect(log).not.toContain(SECRET);
    expect(guesses.filter((g) => log.includes(g))).toEqual([]);
  }, 120_000);
});
