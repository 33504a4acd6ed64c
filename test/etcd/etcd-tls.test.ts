/**
 * `--etcd-ca/--etcd-cert/--etcd-key`, `--etcd-user/--etcd-password` and `--etcd-reads
 * serializable` against a real 3-member etcd serving clients over mutual TLS with etcd's own
 * authentication on: the server bundle works with the right material, and every wrong piece stops
 * the start with one line naming it (never a hang, never a silent plaintext fallback).
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { Range } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EtcdConnection } from "../../server/engines/etcd/client.js";
import { serverBundle } from "../bench/bundle.js";
import { type EtcdCluster, type EtcdMember, startEtcdCluster } from "../support/etcd-cluster.js";
import { type TestCa, testCa } from "../support/test-ca.js";
import { type FleetServer, startFleetServer, until } from "./support.js";

const PREFIX = "tls/";
const PASSWORD = "app-s3cret";

/** Runs the bundle with `args` and resolves with its exit code and stderr (it must exit by itself). */
function refusedStart(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [serverBundle(), "--host", "127.0.0.1", "--port", "0", ...args], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let stdout = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`the server did not exit in 30 s (it should refuse to start):\n${stdout}\n${stderr}`));
    }, 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe("etcd over mutual TLS with etcd's authentication", () => {
  let ca: TestCa;
  let cluster: EtcdCluster;
  let tlsArgs: string[];
  const servers: FleetServer[] = [];
  beforeAll(async () => {
    ca = testCa("memorabilia-etcd-tls-");
    cluster = await startEtcdCluster({
      tls: { cert: ca.server.cert, key: ca.server.key, ca: ca.ca, clientCertAuth: true },
    });
    const client = ca.client("memorabilia-server");
    tlsArgs = ["--etcd-ca", ca.ca, "--etcd-cert", client.cert, "--etcd-key", client.key];
    // etcd's auth on: root (etcd requires it) and an `app` user whose role may read and write the
    // engine's prefix only, so the test also proves a server needs nothing outside its prefix.
    const admin = new EtcdConnection({
      endpoints: cluster.endpoints,
      tls: { ca: readFileSync(ca.ca), cert: readFileSync(client.cert), key: readFileSync(client.key) },
    });
    try {
      await admin.client.user("root").create("root-s3cret");
      await admin.client.user("root").addRole("root");
      const role = await admin.client.role("app").create();
      await role.grant({ permission: "Readwrite", range: Range.prefix(PREFIX) });
      await admin.client.user("app").create(PASSWORD);
      await admin.client.user("app").addRole("app");
      await admin.client.auth.authEnable();
    } finally {
      admin.close();
    }
  }, 90_000);
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await cluster?.stop();
  }, 60_000);

  const start = async (extra: readonly string[]) => {
    const s = await startFleetServer(cluster, PREFIX, [...tlsArgs, "--etcd-user", "app", ...extra], {
      MEMORABILIA_ETCD_PASSWORD: PASSWORD,
    });
    servers.push(s);
    return s;
  };

  it("the endpoints are https:// and a plaintext client is refused by etcd", async () => {
    for (const url of cluster.endpoints) expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const plain = cluster.endpoints.map((u) => u.replace("https://", "http://"));
    const r = await refusedStart([
      ...["--engine", "etcd", "--etcd-endpoints", plain.join(","), "--etcd-prefix", PREFIX],
      ...["--etcd-retry-budget-ms", "1000", "--etcd-timeout-ms", "300"],
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^memorabilia: --engine etcd: cannot reach etcd at http:/);
  }, 60_000);

  it("two servers with the CA, a client certificate and a password share one keyspace over TLS", async () => {
    const a = await start([]);
    const b = await start(["--etcd-reads", "serializable"]);
    expect(await a.exec("SET", "k", "v")).toBe("OK");
    expect(await b.exec("INCR", "n")).toBe(1);
    expect(await a.exec("INCR", "n")).toBe(2);
    // b reads serializably from the member it talks to: it may lag, but it converges at once here.
    await until(async () => (await b.exec("GET", "k")) === "v", 10_000, "b to read a's write");
    expect(await a.exec("GET", "n")).toBe("2");
    expect(await a.health()).toBe(1);
    expect(await b.health()).toBe(1);
    // Keyspace events (the outbox watch over TLS) and the elected sweeper work with the scoped role.
    const seen: string[] = [];
    const abort = new AbortController();
    const stream = (async () => {
      for await (const res of b.client.watch.watch({ pattern: "ttl:*" }, { signal: abort.signal, timeoutMs: 0 }))
        if (res.kind.case === "events") for (const e of res.kind.value.events) seen.push(`${e.event} ${e.key}`);
    })().catch(() => {});
    try {
      await until(
        async () => {
          await a.exec("SET", "ttl:probe", "1");
          return seen.includes("set ttl:probe");
        },
        20_000,
        "b's Watch stream live",
      );
      await a.exec("SET", "ttl:k", "v", "PX", "200");
      await until(() => seen.includes("expired ttl:k"), 20_000, "the expired event");
    } finally {
      abort.abort();
      await stream;
    }
  }, 90_000);

  it("each wrong piece of TLS or credentials stops the start with one line saying what", async () => {
    const other = testCa("memorabilia-etcd-tls-other-");
    const otherClient = other.client("intruder");
    const base = [
      ...["--engine", "etcd", "--etcd-endpoints", cluster.endpoints.join(","), "--etcd-prefix", PREFIX],
      ...["--etcd-retry-budget-ms", "1000", "--etcd-timeout-ms", "500"],
    ];
    const cases: [string, string[], NodeJS.ProcessEnv, RegExp][] = [
      [
        "wrong password",
        [...base, ...tlsArgs, "--etcd-user", "app"],
        { MEMORABILIA_ETCD_PASSWORD: "wrong" },
        /etcd refused the credentials/,
      ],
      ["no credentials although etcd's auth is on", [...base, ...tlsArgs], {}, /etcd refused the credentials/],
      [
        "a client certificate etcd's CA did not issue",
        [
          ...base,
          "--etcd-ca",
          ca.ca,
          "--etcd-cert",
          otherClient.cert,
          "--etcd-key",
          otherClient.key,
          "--etcd-user",
          "app",
        ],
        { MEMORABILIA_ETCD_PASSWORD: PASSWORD },
        /cannot reach etcd .*: TLS to 127\.0\.0\.1:\d+ failed: etcd refused this server's client certificate/,
      ],
      [
        "no client certificate (etcd requires one)",
        [...base, "--etcd-ca", ca.ca, "--etcd-user", "app"],
        { MEMORABILIA_ETCD_PASSWORD: PASSWORD },
        /cannot reach etcd .*: TLS to 127\.0\.0\.1:\d+ failed: etcd refused this server's client certificate or its absence/,
      ],
      [
        "a CA that did not sign etcd's certificate",
        [...base, "--etcd-ca", other.ca, "--etcd-cert", otherClient.cert, "--etcd-key", otherClient.key],
        {},
        /cannot reach etcd .*: TLS to 127\.0\.0\.1:\d+ failed: the member's certificate is not trusted: --etcd-ca must be the CA that signed it/,
      ],
    ];
    for (const [what, args, env, expected] of cases) {
      const r = await refusedStart(args, env);
      expect(r.code, what).toBe(2);
      expect(r.stderr.trim().split("\n"), `${what}: ${r.stderr}`).toHaveLength(1);
      expect(r.stderr, what).toMatch(expected);
    }
  }, 180_000);

  describe("--etcd-reads serializable without quorum", () => {
    let survivor: EtcdMember;
    let killed: EtcdMember[] = [];
    afterAll(async () => {
      for (const m of killed) await cluster.restart(m);
    }, 60_000);

    it("a serializable server keeps answering reads from its member; a linearizable one says UNAVAILABLE", async () => {
      survivor = cluster.members[0] as EtcdMember;
      const only = (extra: readonly string[]) =>
        startFleetServer(
          { endpoints: [survivor.clientUrl] },
          PREFIX,
          [...tlsArgs, "--etcd-user", "app", "--etcd-retry-budget-ms", "1500", "--etcd-timeout-ms", "500", ...extra],
          { MEMORABILIA_ETCD_PASSWORD: PASSWORD },
        ).then((s) => {
          servers.push(s);
          return s;
        });
      const lin = await only([]);
      const ser = await only(["--etcd-reads", "serializable"]);
      expect(await lin.exec("MSET", "q:a", "1", "q:b", "2")).toBe("OK");
      await until(async () => (await ser.exec("GET", "q:a")) === "1", 10_000, "the survivor to apply the write");
      killed = cluster.members.filter((m) => m !== survivor);
      for (const m of killed) await cluster.kill(m);

      // No quorum: linearizable reads and every write fail with UNAVAILABLE after the retry budget.
      await expect(lin.exec("GET", "q:a")).rejects.toMatchObject({ code: 14 });
      await expect(ser.exec("SET", "q:a", "x")).rejects.toMatchObject({ code: 14 });
      // Serializable reads are answered by the surviving member (possibly stale; here current).
      expect(await ser.exec("GET", "q:a")).toBe("1");
      expect(await ser.exec("MGET", "q:a", "q:b", "q:none")).toEqual(["1", "2", null]);
      expect(await ser.exec("EXISTS", "q:a", "q:b")).toBe(2);
      // Health follows quorum, not the read mode: a load balancer drains both.
      await until(async () => (await ser.health()) !== 1 && (await lin.health()) !== 1, 15_000, "NOT_SERVING");
      // A SIGTERM without quorum still ends every server promptly: a watch cancel or an election
      // resign that etcd never answers is not waited on past --etcd-timeout-ms (one such server
      // once outlived its test by minutes; the test helper's SIGKILL comes only after 15 s).
      const t0 = performance.now();
      await Promise.all(servers.map((s) => s.stop()));
      expect(performance.now() - t0).toBeLessThan(10_000);
    }, 90_000);
  });
});
