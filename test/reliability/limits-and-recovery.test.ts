/**
 * Limits (each configurable, each with a clear error) and recovery of a damaged data dir at the
 * process level (the unit suite in server/persistence covers every damage case in detail).
 */
import { readdirSync, rmSync, statSync, truncateSync } from "node:fs";
import type * as http2 from "node:http2";
import { join } from "node:path";
import { Code, type Transport } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openH2Session } from "../support/h2-client.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";
import { commandClient, tempDir, transports } from "./support.js";

describe("limits", () => {
  let server: ServerProcess;
  let exec: ReturnType<typeof commandClient>;
  beforeAll(async () => {
    server = await startServerProcess([
      "--max-key-bytes",
      "100",
      "--max-value-bytes",
      "1000",
      "--max-args",
      "50",
      "--max-scan-count",
      "100",
      "--max-streams-per-connection",
      "4",
      "--maxmemory",
      "200000",
    ]);
    exec = commandClient(transports(server.url)[0]?.[1] as Transport);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each([
    ["key size", ["SET", "k".repeat(101), "v"], /ERR key exceeds the maximum size \(100 bytes\)/],
    ["value size", ["SET", "k", "v".repeat(1001)], /ERR argument exceeds the maximum size \(1000 bytes\)/],
    [
      "elements per command",
      ["RPUSH", "l", ...Array.from({ length: 60 }, (_, i) => String(i))],
      /ERR too many arguments \(62 > max 50\)/,
    ],
    ["SCAN COUNT", ["SCAN", "0", "COUNT", "101"], /ERR COUNT exceeds the maximum \(100\)/],
  ])("%s: RESOURCE_EXHAUSTED with a message that names the limit", async (_name, argv, message) => {
    const e = await exec(...argv).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: Code.ResourceExhausted });
    expect((e as Error).message).toMatch(message);
    expect(await exec("SET", "k".repeat(100), "v".repeat(1000))).toBe("OK");
  });

  it("maxmemory (noeviction): writes that grow memory get OOM, reads and deletes still work", async () => {
    const value = "x".repeat(900);
    let oom: unknown;
    for (let i = 0; i < 400 && oom === undefined; i++)
      oom = await exec("SET", `m${i}`, value).then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(oom).toMatchObject({ code: Code.ResourceExhausted });
    expect((oom as Error).message).toMatch(/OOM command not allowed when used memory > 'maxmemory'/);
    expect(await exec("GET", "m0")).toBe(value);
    expect(await exec("DEL", "m0", "m1", "m2", "m3", "m4")).toBe(5);
    expect(await exec("SET", "m0", value)).toBe("OK");
  });

  it("streams per connection: past 4 concurrent streams on one HTTP/2 connection the fifth waits, and is served when one closes", async () => {
    const session = openH2Session(server.url);
    await new Promise((r) => session.once("remoteSettings", r));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(4);
    const open = Array.from({ length: 4 }, () => {
      const s = session.request({
        ":method": "POST",
        ":path": "/grpc.health.v1.Health/Watch",
        "content-type": "application/grpc",
        te: "trailers",
      });
      s.on("error", () => {});
      s.end(Buffer.from([0, 0, 0, 0, 0]));
      return s;
    });
    // The four are served (Health.Watch answers at once with the current status).
    await Promise.all(open.map((s) => new Promise((r) => s.once("response", r))));
    const fifth = session.request({
      ":method": "POST",
      ":path": "/grpc.health.v1.Health/Watch",
      "content-type": "application/grpc",
    });
    fifth.on("error", () => {});
    const answered = new Promise<string>((resolve) => {
      fifth.on("response", () => resolve("response"));
      fifth.on("error", (e) => resolve(`error ${(e as NodeJS.ErrnoException).code}`));
    });
    fifth.end(Buffer.from([0, 0, 0, 0, 0]));
    // Past the server's SETTINGS limit Node's client holds the fifth stream back (other clients get
    // REFUSED_STREAM): no answer while the four are open (a negative, so a bounded window) ...
    const early = await Promise.race([answered, new Promise<string>((r) => setTimeout(() => r("held"), 1500))]);
    expect(early).toBe("held");
    // ... and it is served as soon as one of the four closes: the limit is exactly 4.
    (open[0] as http2.ClientHttp2Stream).close();
    expect(await answered).toBe("response");
    fifth.close();
    for (const s of open) s.close();
    session.close();
  });
});

describe("recovery of a damaged data dir (process level)", () => {
  const dir = tempDir("recover");
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("a torn log tail: refuse stops the start and says where; skip cuts the torn frame and logs it", async () => {
    const a = await startServerProcess(["--data-dir", dir, "--fsync", "always"]);
    const exec = commandClient(transports(a.url)[0]?.[1] as Transport);
    for (let i = 0; i < 20; i++) await exec("SET", `r${i}`, `v${i}`, "PX", "3600000");
    await exec("SET", "due", "x", "PX", "300");
    // The absolute deadline, to compare to the millisecond after the restart (a PTTL would shrink
    // by however long the restarts take on a busy machine).
    const deadline = Number(await exec("PEXPIRETIME", "r0"));
    await a.stop("SIGKILL");
    const log = join(dir, readdirSync(dir).find((f) => f.endsWith(".log")) as string);
    truncateSync(log, statSync(log).size - 7);
    await new Promise((r) => setTimeout(r, 400)); // "due" passes its deadline while the server is down

    const refused = await startServerProcess(["--data-dir", dir, "--on-corrupt-tail", "refuse"]).catch(
      (e: Error) => e.message,
    );
    expect(refused).toMatch(/exited with 2/);
    expect(refused).toMatch(/log-1\.log: incomplete frame .* at offset \d+; \d+ bytes cannot be loaded/);

    const b = await startServerProcess(["--data-dir", dir]);
    try {
      const drop = b.logs.find((l) => l.includes("cut a torn last frame"));
      expect(drop).toMatch(/"offset":\d+,"droppedBytes":\d+/);
      const e2 = commandClient(transports(b.url)[0]?.[1] as Transport);
      expect(await e2("DBSIZE")).toBe(20);
      expect(await e2("GET", "r19")).toBe("v19");
      expect(Number(await e2("PEXPIRETIME", "r0"))).toBe(deadline);
      expect(await e2("EXISTS", "due")).toBe(0);
    } finally {
      await b.stop();
    }
  }, 60_000);
});
