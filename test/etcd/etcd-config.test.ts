/** `--engine etcd` options: what is refused at start, with one line saying why. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ConfigError, helpText, loadConfig } from "../../server/config.js";
import { serverBundle } from "../bench/bundle.js";

const refusal = (argv: string[]) => {
  try {
    loadConfig(argv, {});
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error(`accepted: ${argv.join(" ")}`);
};

describe("--engine etcd configuration", () => {
  it("defaults to the memory engine, and reads every etcd option from flags, environment and file names", () => {
    const loaded = loadConfig([], {});
    expect(loaded.help === false && loaded.config.engine).toBe("memory");
    const etcd = loadConfig(["--engine", "etcd", "--etcd-endpoints", "https://10.0.0.1:2379,https://e2:2379"], {
      MEMORABILIA_ETCD_PREFIX: "app/",
      MEMORABILIA_ETCD_READS: "serializable",
    });
    expect(etcd.help === false && etcd.config).toMatchObject({
      engine: "etcd",
      etcdEndpoints: ["https://10.0.0.1:2379", "https://e2:2379"],
      etcdPrefix: "app/",
      etcdReads: "serializable",
      etcdTimeoutMs: 1000,
    });
    for (const flag of ["--engine", "--etcd-endpoints", "--etcd-prefix", "--etcd-reads", "--etcd-ca", "--etcd-user"]) {
      expect(helpText()).toContain(flag);
    }
  });

  it("refuses --data-dir and --maxmemory with --engine etcd, saying why", () => {
    expect(refusal(["--engine", "etcd", "--data-dir", "/tmp/x"])).toMatch(
      /--data-dir cannot be used with --engine etcd: etcd is the persistence/,
    );
    expect(refusal(["--engine", "etcd", "--maxmemory", "1000"])).toMatch(
      /--maxmemory cannot be used with --engine etcd/,
    );
    expect(refusal(["--engine", "etcd", "--etcd-endpoints", "127.0.0.1:2379"])).toMatch(/expected http:\/\/host:port/);
    expect(refusal(["--engine", "etcd", "--etcd-user", "u"])).toMatch(/go together/);
    expect(refusal(["--engine", "etcd", "--etcd-endpoints", "http://a:2379,https://b:2379"])).toMatch(
      /https:\/\/ for every member or for none/,
    );
    expect(refusal(["--engine", "etcd", "--etcd-endpoints", "http://a:2379", "--etcd-ca", "/ca.pem"])).toMatch(
      /need https:\/\/ --etcd-endpoints/,
    );
    expect(
      refusal([
        "--engine",
        "etcd",
        "--etcd-endpoints",
        "https://a:2379",
        "--etcd-cert",
        "/c.pem",
        "--etcd-key",
        "/k.pem",
      ]),
    ).toMatch(/--etcd-cert needs --etcd-ca/);
    expect(refusal(["--engine", "etcd", "--etcd-reads", "stale"])).toMatch(/linearizable, serializable/);
  });

  it("the server exits 2 with ONE line on stderr for a refused combination", () => {
    const r = spawnSync(process.execPath, [serverBundle(), "--engine", "etcd", "--data-dir", "/tmp/nope"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^memorabilia: --data-dir cannot be used with --engine etcd/);
  });

  it("the server exits 2 with one line when etcd cannot be reached at start", () => {
    const r = spawnSync(
      process.execPath,
      [
        serverBundle(),
        "--port",
        "0",
        "--engine",
        "etcd",
        "--etcd-endpoints",
        "http://127.0.0.1:9",
        "--etcd-retry-budget-ms",
        "500",
        "--etcd-timeout-ms",
        "200",
      ],
      { encoding: "utf8", timeout: 30_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^memorabilia: --engine etcd: cannot reach etcd at http:\/\/127\.0\.0\.1:9/);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
  });
});
