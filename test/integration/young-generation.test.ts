/**
 * Every server start sizes its young generation (server/young-generation.ts): `dist/server.mjs`
 * started without a semi-space flag starts itself again with `--max-semi-space-size=<MiB>`, and the
 * PID that was started still behaves as the server: its stdout/stderr carry the server's, SIGTERM
 * and SIGINT drain the server (exit 0), the server's exit code is its exit code, and a SIGKILL of
 * it kills the server. A flag already there (node command line, NODE_OPTIONS) or
 * `--young-generation-mb 0` means one process; a bad size is one line and exit 2, nothing started.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../server/config.js";
import {
  DEFAULT_YOUNG_GENERATION_MB,
  defaultYoungGenerationMbForArgs,
  semiSpaceChosen,
} from "../../server/young-generation.js";
import { SERVER_BUNDLE } from "../support/bundles.js";

/** The PIDs of `pid`'s children (Linux). */
function children(pid: number): number[] {
  const path = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
}
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
/** Gone, or a zombie not yet reaped. */
const gone = (pid: number) => !existsSync(`/proc/${pid}`) || / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly lines: string[];
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
}

const started: ChildProcess[] = [];
afterEach(() => {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** `node [nodeFlags] dist/server.mjs --port 0 [args]`, resolved once the server listens. */
async function start(args: string[] = [], nodeFlags: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Started> {
  const child = spawn(process.execPath, [...nodeFlags, SERVER_BUNDLE, "--host", "127.0.0.1", "--port", "0", ...args], {
    env: { ...process.env, NODE_OPTIONS: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  const lines: string[] = [];
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      lines.push(line);
      const m = /Server listening at (\S+?)"/.exec(line);
      if (m?.[1]) resolve(m[1]);
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", onLine);
    exited.then(([code]) => reject(new Error(`server exited with ${code}:\n${lines.join("\n")}`)));
  });
  return { child, url, lines, exited };
}

const FLAG = `--max-semi-space-size=${DEFAULT_YOUNG_GENERATION_MB}`;

describe("every server start sizes its young generation", () => {
  it("relaunches once with the flag; stdout is the server's; SIGTERM to the started PID drains it, exit 0", async () => {
    const s = await start();
    const pid = s.child.pid as number;
    const kids = children(pid);
    expect(kids, "one relaunched server, no more").toHaveLength(1);
    const server = kids[0] as number;
    expect(cmdline(server)).toContain(FLAG);
    expect(cmdline(pid)).not.toContain(FLAG);
    expect(children(server), "the relaunched server starts nothing again").toEqual([]);
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    s.child.kill("SIGTERM");
    expect(await s.exited).toEqual([0, null]);
    // The drain ran in the server (its log line came through the started PID's stdout).
    expect(s.lines.some((l) => l.includes("shutting down: draining") && l.includes("SIGTERM"))).toBe(true);
    await until(() => gone(server), 10_000, "the relaunched server to exit");
  }, 60_000);

  // The other starts run side by side: each is seconds on a busy host.
  it("--young-generation-mb 48 relaunches with 48 and SIGINT is passed on; the server's exit is the started PID's; SIGKILL of the parent kills the server", async () => {
    const [a, b, c] = await Promise.all([start(["--young-generation-mb", "48"]), start(), start()]);
    const [serverA] = children(a.child.pid as number);
    expect(cmdline(serverA as number)).toContain("--max-semi-space-size=48");
    a.child.kill("SIGINT");
    const [serverB] = children(b.child.pid as number);
    process.kill(serverB as number, "SIGKILL");
    const [serverC] = children(c.child.pid as number);
    c.child.kill("SIGKILL");
    expect(await a.exited).toEqual([0, null]);
    expect(a.lines.some((l) => l.includes("shutting down: draining") && l.includes("SIGINT"))).toBe(true);
    // A server ended by a signal: 128 + its number, as a shell reports it.
    expect(await b.exited).toEqual([137, null]);
    await c.exited;
    await until(() => gone(serverC as number), 10_000, "the relaunched server to die with its parent");
    await until(() => gone(serverA as number), 10_000, "the relaunched server to exit");
  }, 60_000);

  it("a server that fails at start: its exit code (2) and its one message, once", () => {
    const r = spawnSync(process.execPath, [SERVER_BUNDLE, "--port", "0", "--tokens-file", "/nonexistent/tokens"], {
      env: { ...process.env, NODE_OPTIONS: "" },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^memorabilia: .*tokens/);
  }, 60_000);

  it("a semi-space flag on the node command line or in NODE_OPTIONS, or a size of 0: one process", async () => {
    const servers = await Promise.all([
      start([], ["--max-semi-space-size=16"]),
      start([], [], { NODE_OPTIONS: "--max-semi-space-size=16" }),
      start(["--young-generation-mb", "0"]),
      start([], [], { MEMORABILIA_YOUNG_GENERATION_MB: "0" }),
    ]);
    for (const s of servers) expect(children(s.child.pid as number)).toEqual([]);
    for (const s of servers) s.child.kill("SIGTERM");
    for (const s of servers) expect(await s.exited).toEqual([0, null]);
  }, 60_000);

  it.each([
    [["--young-generation-mb", "abc"], {}, /young-generation-mb: expected a non-negative integer, got "abc"/],
    [["--young-generation-mb", "-1"], {}, /--young-generation-mb.* argument is ambiguous/],
    [["--young-generation-mb=-1"], {}, /young-generation-mb: expected a non-negative integer, got "-1"/],
    [["--young-generation-mb", "1.5"], {}, /young-generation-mb: expected a non-negative integer/],
    [
      ["--young-generation-mb", "4096"],
      {},
      /--young-generation-mb: expected 0 \(Node's default\) to 1024 MiB, got 4096/,
    ],
    [[], { MEMORABILIA_YOUNG_GENERATION_MB: "64MB" }, /environment young-generation-mb: .*"64MB"/],
  ] as [string[], NodeJS.ProcessEnv, RegExp][])(
    "refuses %j %j with one line, exit 2",
    (args, env, message) => {
      const r = spawnSync(process.execPath, [SERVER_BUNDLE, "--port", "0", ...args], {
        env: { ...process.env, NODE_OPTIONS: "", ...env },
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(r.status).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stdout).toBe("");
    },
    60_000,
  );

  it("recognises a chosen size in either spelling, and only a semi-space size", () => {
    expect(semiSpaceChosen(["--max_semi_space_size=8"], undefined)).toBe(true);
    expect(semiSpaceChosen([], "--enable-source-maps --min-semi-space-size=4")).toBe(true);
    expect(semiSpaceChosen(["--max-old-space-size=512"], "--trace-gc")).toBe(false);
  });

  it("defaults: 32 MiB, 64 with --engine etcd; a value given wins, 0 included", () => {
    const size = (argv: string[], env: Record<string, string> = {}) => {
      const loaded = loadConfig(argv, env);
      return loaded.help ? undefined : loaded.config.youngGenerationMb;
    };
    const etcd = ["--engine", "etcd", "--etcd-endpoints", "http://127.0.0.1:2379"];
    expect(size([])).toBe(32);
    expect(size(etcd)).toBe(64);
    expect(size([...etcd, "--young-generation-mb", "0"])).toBe(0);
    expect(size([], { MEMORABILIA_YOUNG_GENERATION_MB: "16" })).toBe(16);
    expect(defaultYoungGenerationMbForArgs(["--engine=etcd"])).toBe(64);
    expect(defaultYoungGenerationMbForArgs(etcd)).toBe(64);
    expect(defaultYoungGenerationMbForArgs(["--port", "0"])).toBe(DEFAULT_YOUNG_GENERATION_MB);
  });

  it("--help documents the option and its environment variable", () => {
    const r = spawnSync(process.execPath, [SERVER_BUNDLE, "--help"], { encoding: "utf8", timeout: 30_000 });
    expect(r.stdout).toMatch(/--young-generation-mb N\s+V8 semi-space size in MiB/);
    expect(r.stdout).toContain("MEMORABILIA_YOUNG_GENERATION_MB");
  });
});
