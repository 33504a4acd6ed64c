import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import {
  defaultYoungGenerationMbForArgs,
  semiSpaceChosen,
  youngGenerationNodeFlags,
} from "../../server/young-generation.js";
import { serverBundle } from "./bundle.js";

/** A server process the bench started (and must stop). */
export interface Started {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

const running = new Set<Started>();

/** Every process started and not yet stopped (the SIGINT handler stops them). */
export function startedProcesses(): readonly Started[] {
  return [...running];
}

/** Stops every started process, by PID. */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop()));
}

/** A free loopback port (asks the kernel, then releases it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** The path of `binary` on PATH or in the usual Debian places, or undefined. */
export function findBinary(binary: string): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/bin", "/usr/local/bin", "/usr/sbin"];
  for (const d of dirs) {
    if (d && existsSync(join(d, binary))) return join(d, binary);
  }
  return undefined;
}

/** CPU time (user + system) of a process so far, in ms, from /proc/PID/stat; undefined if unreadable. */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the ")" that closes the command name: state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(rest[11]) + Number(rest[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}

/**
 * CPU time of every thread of a process so far, in ms with nanosecond resolution: the sum of
 * `sum_exec_runtime` (the first field of /proc/PID/task/TID/schedstat) over its threads. The
 * ticks of /proc/PID/stat are 10 ms, too coarse for segments of a few hundred ms; a thread that
 * exits during a segment would take its time with it, which a Node server's long-lived threads
 * (main, libuv pool, V8 platform) do not do. Undefined if unreadable (falls back to {@link cpuMs}).
 */
export function cpuMsPrecise(pid: number): number | undefined {
  try {
    let ns = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8");
        ns += Number(stat.slice(0, stat.indexOf(" ")));
      } catch {
        // the thread exited between the listing and the read
      }
    }
    return ns / 1e6;
  } catch {
    return cpuMs(pid);
  }
}

/** CPU time of a process so far split into user and system (kernel) ms, from /proc/PID/stat. */
export function cpuSplitMs(pid: number): { user: number; system: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { user: (Number(rest[11]) * 1000) / CLOCK_TICKS, system: (Number(rest[12]) * 1000) / CLOCK_TICKS };
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux the bench targets (`getconf CLK_TCK`). */
const CLOCK_TICKS = 100;

/** Resident set size of a process in bytes, from /proc/PID/status. */
export function rssBytes(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Registers a child so that {@link stopAll} stops it (by PID). */
export function track(name: string, child: ChildProcess, port: number, url: string, cleanup?: () => void): Started {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const started: Started = {
    name,
    pid: child.pid as number,
    port,
    url,
    child,
    async stop() {
      if (!running.has(started)) return;
      running.delete(started);
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid as number, "SIGTERM");
        } catch {
          /* already gone */
        }
        const timer = setTimeout(() => {
          try {
            process.kill(child.pid as number, "SIGKILL");
          } catch {
            /* already gone */
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      cleanup?.();
    },
  };
  running.add(started);
  return started;
}

/** Resolves when a line of the child's output matches `pattern`; rejects on exit or timeout. */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs = 30_000,
): Promise<RegExpExecArray> {
  const lines: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start in ${timeoutMs} ms:\n${lines.join("\n")}`)),
      timeoutMs,
    );
    const onLine = (line: string) => {
      if (lines.length < 200) lines.push(line);
      const m = pattern.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    if (child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
    if (child.stderr) createInterface({ input: child.stderr }).on("line", onLine);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready:\n${lines.join("\n")}`));
    });
  });
}

/** Starts `redis-server` on a free loopback port, without persistence. */
export async function startRedis(binary: string): Promise<Started> {
  const port = await freePort();
  const child = spawn(
    binary,
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const ready = waitForLine(child, /Ready to accept connections/, "redis-server");
  const started = track("redis", child, port, `redis://127.0.0.1:${port}`);
  await ready.catch(async (e) => {
    await started.stop();
    throw e;
  });
  return started;
}

/** Starts a single-member `etcd` on free loopback ports with a temporary data directory. */
export async function startEtcd(binary: string): Promise<Started> {
  const port = await freePort();
  const peer = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "memorabilia-bench-etcd-"));
  const client = `http://127.0.0.1:${port}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child = spawn(
    binary,
    [
      "--name",
      "bench",
      "--data-dir",
      dir,
      "--listen-client-urls",
      client,
      "--advertise-client-urls",
      client,
      "--listen-peer-urls",
      peerUrl,
      "--initial-advertise-peer-urls",
      peerUrl,
      "--initial-cluster",
      `bench=${peerUrl}`,
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ETCD_UNSUPPORTED_ARCH: process.env.ETCD_UNSUPPORTED_ARCH ?? "" },
    },
  );
  const ready = waitForLine(child, /ready to serve client requests|serving insecure client requests/, "etcd");
  const started = track("etcd", child, port, client, () => rmSync(dir, { recursive: true, force: true }));
  await ready.catch(async (e) => {
    await started.stop();
    throw e;
  });
  return started;
}

/**
 * Starts the Memorabilia server (`dist/server.mjs`, bundled from `server/main.ts` as `npm start` runs it) on a free loopback port.
 * With the young generation a server sets itself (server/young-generation.ts) given on the node
 * command line, unless `nodeArgs` chooses a semi-space size: one process, so the PID whose CPU and
 * memory the bench reads is the one serving (the relaunch would leave a relaying parent there).
 */
export async function startMemorabilia(
  extraArgs: readonly string[] = [],
  nodeArgs: readonly string[] = [],
  /** Another build of the server (an A/B of two versions); the bundle of this checkout by default. */
  bundle?: string,
): Promise<Started> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      ...(semiSpaceChosen(nodeArgs, undefined)
        ? []
        : youngGenerationNodeFlags(defaultYoungGenerationMbForArgs(extraArgs))),
      ...nodeArgs,
      bundle ?? serverBundle(),
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      ...extraArgs,
    ],
    { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] },
  );
  const ready = waitForLine(child, /Server listening at (\S+?)"/, "memorabilia server");
  const started = track("memorabilia", child, port, `http://127.0.0.1:${port}`);
  await ready.catch(async (e) => {
    await started.stop();
    throw e;
  });
  return started;
}
