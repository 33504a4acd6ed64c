/**
 * Debian's redis-tools against the RESP port of the bundled server: redis-cli (commands, RESP3,
 * --pipe mass insertion, auth, TLS) and redis-benchmark (a short bounded run whose every request
 * must succeed). CI installs redis-tools (apt); without it these tests fail, never skip.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";
import { selfSignedCert } from "../support/self-signed-cert.js";

const run = promisify(execFile);
let server: RespServerProcess;

async function cli(args: readonly string[], input?: string, port = server.respPort): Promise<string> {
  const child = run("redis-cli", ["-h", "127.0.0.1", "-p", String(port), ...args], { timeout: 60_000 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  } else child.child.stdin?.end();
  return (await child).stdout;
}

beforeAll(async () => {
  server = await startRespServerProcess();
});

afterAll(async () => {
  await server?.stop();
});

describe("redis-cli", () => {
  it("runs commands and prints Redis's replies and errors", async () => {
    expect(await cli(["PING"])).toBe("PONG\n");
    expect(await cli(["SET", "cli:k", "hello world"])).toBe("OK\n");
    expect(await cli(["GET", "cli:k"])).toBe("hello world\n");
    expect(await cli(["RPUSH", "cli:l", "a", "b"])).toBe("2\n");
    expect(await cli(["LRANGE", "cli:l", "0", "-1"])).toBe("a\nb\n");
    // redis-cli prints an error reply followed by an empty line.
    expect(await cli(["NOSUCH", "x"])).toBe("ERR unknown command 'NOSUCH', with args beginning with: 'x' \n\n");
    expect(await cli(["--no-raw", "GET", "cli:none"])).toBe("(nil)\n");
    expect(await cli(["INFO", "keyspace"])).toMatch(/# Keyspace\r?\ndb0:keys=\d+/);
  });

  it("-3 speaks RESP3 (HELLO 3): maps print as maps", async () => {
    await cli(["HSET", "cli:h", "f", "v"]);
    expect(await cli(["-3", "--no-raw", "HGETALL", "cli:h"])).toBe('1# "f" => "v"\n');
  });

  it("--pipe mass insertion of 20k commands", async () => {
    let input = "";
    for (let i = 0; i < 20_000; i++) input += `*3\r\n$3\r\nSET\r\n$${`pipe:${i}`.length}\r\npipe:${i}\r\n$1\r\nv\r\n`;
    const out = await cli(["--pipe"], input);
    expect(out).toMatch(/errors: 0, replies: 20000/);
    expect(await cli(["EXISTS", "pipe:0", "pipe:19999"])).toBe("2\n");
  });

  it("redis-benchmark: every request of a short run succeeds", async () => {
    const { stdout } = await run(
      "redis-benchmark",
      [
        "-h",
        "127.0.0.1",
        "-p",
        String(server.respPort),
        "-t",
        "set,get,incr,lpush,lrange_100",
        "-n",
        "2000",
        "-c",
        "4",
        "-P",
        "4",
        "--csv",
      ],
      { timeout: 120_000 },
    );
    const rows = stdout.trim().split("\n").slice(1);
    expect(rows.map((r) => r.split(",")[0])).toEqual([
      '"SET"',
      '"GET"',
      '"INCR"',
      '"LPUSH"',
      '"LPUSH (needed to benchmark LRANGE)"',
      '"LRANGE_100 (first 100 elements)"',
    ]);
    for (const row of rows) expect(Number(JSON.parse(row.split(",")[1] as string))).toBeGreaterThan(0);
    expect(await cli(["GET", "counter:__rand_int__"])).toBe("2000\n");
  }, 180_000);
});

describe("redis-cli with auth and TLS", () => {
  it("AUTH by --user/--pass over TLS with the main port's certificate", async () => {
    const cert = selfSignedCert("resp-tls-");
    const secret = "resp-tools-secret-0123456789";
    const tls = await startRespServerProcess([
      "--tls-cert",
      cert.cert,
      "--tls-key",
      cert.key,
      "--token",
      `ops:admin:${secret}`,
    ]);
    try {
      const base = ["--tls", "--cacert", cert.cert, "-h", "127.0.0.1", "-p", String(tls.respPort)];
      const noAuth = await run("redis-cli", [...base, "GET", "k"], { timeout: 60_000 });
      expect(noAuth.stdout).toBe("NOAUTH Authentication required.\n\n");
      const authed = await run(
        "redis-cli",
        [...base, "--user", "ops", "--pass", secret, "--no-auth-warning", "SET", "k", "v"],
        {
          timeout: 60_000,
        },
      );
      expect(authed.stdout).toBe("OK\n");
      // A plaintext client on the TLS port gets nothing it can use.
      await expect(
        run("redis-cli", ["-h", "127.0.0.1", "-p", String(tls.respPort), "PING"], { timeout: 60_000 }),
      ).rejects.toThrow();
    } finally {
      await tls.stop();
    }
  });
});
