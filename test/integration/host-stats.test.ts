/**
 * Persistence and eviction figures, end to end: a real server with a data dir (fsync always) and
 * a small maxmemory (allkeys-lru) reports them in ServerService.Info and on /metrics, and they
 * move as the client writes and overfills it.
 */
import { rmSync } from "node:fs";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CommandService } from "../../shared/gen/memorabilia/v1/command_service_pb.js";
import { ServerService } from "../../shared/gen/memorabilia/v1/server_service_pb.js";
import { tempDir } from "../reliability/support.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

const MAXMEMORY = 200_000;
let server: ServerProcess;
let dir: string;

beforeAll(async () => {
  dir = tempDir("host-stats");
  server = await startServerProcess([
    "--data-dir",
    dir,
    "--fsync",
    "always",
    "--maxmemory",
    String(MAXMEMORY),
    "--maxmemory-policy",
    "allkeys-lru",
  ]);
});
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The value of one unlabelled sample of the exposition text. */
function sample(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe("persistence and eviction figures of a real server", () => {
  it("Info and /metrics report them, and they move with writes and overfilling", async () => {
    const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
    const info = createClient(ServerService, transport);
    const command = createClient(CommandService, transport);
    const enc = new TextEncoder();
    const exec = (...args: string[]) => command.execute({ args: args.map((a) => enc.encode(a)) });

    const before = (await info.info({})).info;
    expect(before?.persistence).toMatchObject({ enabled: true, fsync: "always", loadedKeys: 0n, snapshots: 0n });
    expect(before?.eviction).toMatchObject({
      enabled: true,
      policy: "allkeys-lru",
      maxmemoryBytes: BigInt(MAXMEMORY),
      evictedKeys: 0n,
    });

    const value = "x".repeat(900);
    for (let i = 0; i < 400; i++) await exec("SET", `hs:${i}`, value); // ~2x the limit

    const after = (await info.info({})).info;
    const p = after?.persistence;
    expect(p?.fsyncs).toBeGreaterThan(0n);
    expect(p?.lastFsyncAtMs).toBeGreaterThan(0n);
    expect(p?.recordsWritten).toBeGreaterThanOrEqual(400n);
    expect(p?.bytesWritten).toBeGreaterThan(400n * 900n);
    expect(p?.logBytes).toBeGreaterThan(0n);
    expect(p?.lastError).toBeUndefined();
    const e = after?.eviction;
    expect(e?.evictedKeys).toBeGreaterThan(0n);
    expect(e?.usedBytes).toBeGreaterThan(0n);
    expect(e?.usedBytes).toBeLessThanOrEqual(BigInt(MAXMEMORY) + 2_000n); // one write past the limit at most
    expect(after?.keys).toBe(400n - (e?.evictedKeys ?? 0n));

    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(sample(text, "memorabilia_persistence_fsyncs_total")).toBeGreaterThan(0);
    expect(sample(text, "memorabilia_persistence_records_written_total")).toBeGreaterThanOrEqual(400);
    expect(sample(text, "memorabilia_persistence_written_bytes_total")).toBeGreaterThan(400 * 900);
    expect(sample(text, "memorabilia_persistence_last_fsync_timestamp_seconds")).toBeGreaterThan(1_600_000_000);
    expect(sample(text, "memorabilia_persistence_write_failing")).toBe(0);
    expect(sample(text, "memorabilia_persistence_loaded_keys")).toBe(0);
    expect(sample(text, "memorabilia_evicted_keys_total")).toBeGreaterThan(0);
    expect(sample(text, "memorabilia_maxmemory_bytes")).toBe(MAXMEMORY);
    expect(sample(text, "memorabilia_used_memory_bytes")).toBeGreaterThan(0);
    expect(sample(text, "memorabilia_oom_rejections_total")).toBe(0);
    expect(text).toContain('memorabilia_maxmemory_policy_info{policy="allkeys-lru"} 1');
  });

  it("after a restart, Info reports the keys loaded from the data dir", async () => {
    const keysBefore = (
      await createClient(ServerService, createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" })).info({})
    ).info?.keys;
    expect(await server.stop()).toBe(0);
    server = await startServerProcess(["--data-dir", dir, "--fsync", "always"]);
    const transport = createConnectTransport({ baseUrl: server.url, httpVersion: "1.1" });
    const p = (await createClient(ServerService, transport).info({})).info;
    expect(p?.persistence?.loadedKeys).toBe(keysBefore);
    expect(p?.persistence?.loadDurationMs).toBeGreaterThanOrEqual(0);
    expect(p?.persistence?.corruptTailBytesDropped).toBe(0n);
    expect(p?.eviction?.enabled).toBe(false);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(sample(text, "memorabilia_persistence_loaded_keys")).toBe(Number(keysBefore));
    expect(sample(text, "memorabilia_evicted_keys_total")).toBeUndefined(); // no maxmemory: no eviction family
  });
});
