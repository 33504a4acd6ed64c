import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { defaultYoungGenerationMbForArgs, youngGenerationNodeFlags } from "../../server/young-generation.js";
import { SERVER_BUNDLE } from "./bundles.js";

/** A Memorabilia server started as a child process for a test. */
export interface ServerProcess {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Every log line so far (JSON lines from Fastify's logger). */
  readonly logs: string[];
  /** Sends `signal` to the PID and resolves with the exit code once the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Starts the server bundle `npm start` runs (`dist/server.mjs`, built by the test run's global
 * setup), or the JavaScript file `entry` (run from `cwd`), on loopback with port 0 (or the given args) and resolves
 * once it listens. The caller must `stop()` it (tests do it in afterAll/afterEach).
 */
export async function startServerProcess(
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
  entry?: string,
  cwd: string = process.cwd(),
): Promise<ServerProcess> {
  // The young generation every server start sets (server/young-generation.ts) on the node command
  // line: one process, so `pid` is the serving one (its RSS and CPU are what tests read).
  const nodeFlags = youngGenerationNodeFlags(defaultYoungGenerationMbForArgs(args));
  const child = spawn(
    process.execPath,
    [...nodeFlags, entry ?? SERVER_BUNDLE, "--host", "127.0.0.1", "--port", "0", ...args],
    {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  const logs: string[] = [];
  const exited = once(child, "exit") as Promise<[number | null, string | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL"); // never leave a half-started server behind
      reject(new Error(`server did not start in 20 s:\n${logs.join("\n")}`));
    }, 20_000);
    const onLine = (line: string) => {
      logs.push(line);
      const m = /Server listening at (\S+?)"/.exec(line) ?? /serving .* at (\S+?)"/.exec(line);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    createInterface({ input: child.stdout! }).on("line", onLine);
    createInterface({ input: child.stderr! }).on("line", onLine);
    exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${logs.join("\n")}`));
    });
  });
  const port = Number(new URL(url).port);
  return {
    url,
    port,
    pid: child.pid as number,
    child,
    logs,
    async stop(signal = "SIGTERM") {
      if (child.exitCode !== null) return child.exitCode;
      process.kill(child.pid as number, signal);
      // A shutdown that hangs (an engine still waiting on an unreachable etcd on a busy host) is
      // ended by SIGKILL: a test's clean-up never waits on it past its hook's time.
      const kill = setTimeout(
        () => child.exitCode === null && child.signalCode === null && child.kill("SIGKILL"),
        15_000,
      );
      const [code] = await exited;
      clearTimeout(kill);
      return code;
    },
  };
}
