/**
 * The `memo` CLI as a user runs it: spawned against a real server, one-shot commands (output
 * modes, exit codes, usage errors, protocols), the REPL driven through stdin (history file) and
 * its completion, and `watch` ended by Ctrl-C.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCompleter } from "../../server/cli/repl.js";
import { tokenize } from "../../server/cli/tokenize.js";
import { CLI_BUNDLE } from "../support/bundles.js";
import { type ServerProcess, startServerProcess } from "../support/server-process.js";

const execFileP = promisify(execFile);
// The CLI as users run it: bundled JavaScript (built by the test run's global setup), not tsx.
const MAIN = join(process.cwd(), CLI_BUNDLE);
let server: ServerProcess;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function memo(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, MEMORABILIA_URL: server.url, MEMO_HISTORY: "", ...options.env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(options.input ?? "");
  const code = await new Promise<number>((resolve) => child.on("exit", (c) => resolve(c ?? -1)));
  return { code, stdout, stderr };
}

beforeAll(async () => {
  server = await startServerProcess(["--shutdown-timeout-ms", "500"]);
});
afterAll(async () => {
  await server?.stop();
});

// Independent keys per test: the spawns run concurrently.
// Sequential, each with room: every step starts a node process, and a dozen starting at once on a
// busy 2-core host took 26-30 s per test (the 30 s default failed one under a load average of 20).
describe("one-shot commands", { timeout: 120_000 }, () => {
  it.each(["grpc", "grpc-web", "connect"])("set/get/ttl/del over --protocol %s", async (protocol) => {
    const k = `cli:${protocol}`;
    expect((await memo(["-p", protocol, "set", k, "v 1", "--ttl", "1m30s"])).stdout).toBe("OK\n");
    expect((await memo(["-p", protocol, "get", k])).stdout).toBe('"v 1"\n');
    const left = Number((await memo(["-p", protocol, "--raw", "ttl", k])).stdout);
    expect(left).toBeGreaterThan(60_000);
    expect(left).toBeLessThanOrEqual(90_000);
    expect((await memo(["-p", protocol, "del", k, `${k}:none`])).stdout).toBe("(integer) 1\n");
  });

  it("keys walks SCAN with a pattern and a type; --json gives one object per key", async () => {
    await memo(["exec", "MSET", "cli:k:1", "a", "cli:k:2", "b"]);
    await memo(["exec", "RPUSH", "cli:k:list", "x"]);
    const all = await memo(["keys", "cli:k:*"]);
    expect(all.stdout.trim().split("\n").sort()).toEqual(["cli:k:1", "cli:k:2", "cli:k:list"]);
    expect((await memo(["keys", "cli:k:*", "--type", "list"])).stdout).toBe("cli:k:list\n");
    const json = (await memo(["--json", "keys", "cli:k:l*"])).stdout.trim();
    expect(JSON.parse(json)).toEqual({ key: "cli:k:list", type: "list", ttlMs: null, size: 1 });
  });

  it("exec prints replies as redis-cli does, errors on stderr with exit code 1", async () => {
    await memo(["exec", "HSET", "cli:h", "f", "v"]);
    expect((await memo(["exec", "HGETALL", "cli:h"])).stdout).toBe('1) "f"\n2) "v"\n');
    const wrong = await memo(["exec", "GET", "cli:h"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toBe("(error) WRONGTYPE Operation against a key holding the wrong kind of value\n");
    const json = await memo(["--json", "get", "cli:h"]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toEqual({
      error: "WRONGTYPE Operation against a key holding the wrong kind of value",
      code: "FailedPrecondition",
    });
  });

  it.each([
    [["set", "k"], /usage: memo set/],
    [["set", "k", "v", "--ttl", "10 parsecs"], /invalid duration/],
    [["nosuch"], /unknown command "nosuch"/],
    [["--protocol", "smoke", "get", "k"], /--protocol must be one of/],
    [["get", "k", "--bogus"], /Unknown option '--bogus'/],
  ])("usage errors exit 2: %j", async (args, message) => {
    const r = await memo(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it("a server that is not there: exit 1 with the reason", async () => {
    const r = await memo(["-u", "http://127.0.0.1:1", "get", "k"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach http:\/\/127\.0\.0\.1:1/);
  });

  it("--help lists every command", async () => {
    const r = await memo(["--help"]);
    for (const name of ["get", "set", "del", "ttl", "keys", "watch", "info", "exec"])
      expect(r.stdout).toContain(`  ${name}`);
  });
});

describe.concurrent("interactive mode (stdin)", () => {
  it("runs raw commands line by line and keeps the history", async () => {
    const dir = mkdtempSync(join(tmpdir(), "memo-history-"));
    const history = join(dir, "history");
    const r = await memo([], {
      input: 'SET cli:r "a b"\nGET cli:r\n\nLPUSH cli:r x\nSET "unbalanced\nquit\nGET never-run\n',
      env: { MEMO_HISTORY: history },
    });
    expect(r.stdout).toBe('OK\n"a b"\n(error) WRONGTYPE Operation against a key holding the wrong kind of value\n');
    expect(r.stderr).toBe("(error) unbalanced quotes\n");
    expect(r.code).toBe(1);
    expect(readFileSync(history, "utf8")).toBe('SET cli:r "a b"\nGET cli:r\nLPUSH cli:r x\nSET "unbalanced\nquit\n');
  });

  it("completes command names in the case typed", () => {
    const complete = createCompleter(["GET", "GETDEL", "GETEX", "SET"]);
    expect(complete("ge")).toEqual([["get", "getdel", "getex"], "ge"]);
    expect(complete("GETD")).toEqual([["GETDEL"], "GETD"]);
    expect(complete("get k")).toEqual([[], "get k"]);
  });

  it.each([
    ['SET k "a b"', ["SET", "k", "a b"]],
    ["SET k 'it''s'", null],
    ['SET k "\\x41\\n"', ["SET", "k", "A\n"]],
    ["SET k ''", ["SET", "k", ""]],
    ["  GET   k  ", ["GET", "k"]],
  ])("tokenizes %j as redis-cli does", (line, expected) => {
    if (expected === null) expect(() => tokenize(line)).toThrow(SyntaxError);
    else expect(tokenize(line)).toEqual(expected);
  });
});

describe("watch", () => {
  it("streams events until Ctrl-C, then exits 0", async () => {
    const child = spawn(process.execPath, [MAIN, "watch", "cli:w:*"], {
      env: { ...process.env, MEMORABILIA_URL: server.url },
    });
    let stdout = "";
    child.stdout.on("data", (d) => (stdout += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    // Write until the watcher reports it (it needs a moment to subscribe).
    await expect
      .poll(
        async () => {
          await execFileP(process.execPath, [MAIN, "-u", server.url, "set", "cli:w:1", "v"]);
          return stdout;
        },
        { timeout: 15_000, interval: 200 },
      )
      .toContain("set cli:w:1");
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  });

  it("memo info prints field:value lines", async () => {
    const r = await memo(["info"]);
    expect(r.stdout).toMatch(/^version:/m);
    expect(r.stdout).toMatch(/^keys:\d+$/m);
  });
});
