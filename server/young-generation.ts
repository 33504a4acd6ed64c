/**
 * Start-up step of every server start (`npm start`, the `memorabilia-server` bin, `dist/server.mjs`,
 * any engine): the server runs with V8 semi-spaces of `--young-generation-mb` MiB
 * ({@link DEFAULT_YOUNG_GENERATION_MB} by default, {@link ENGINE_YOUNG_GENERATION_MB} with
 * `--engine etcd`) instead of Node's 16.
 *
 * Why: a scavenge (young-generation GC) visits every old-space page, so its pause grows with the
 * keyspace (~1 µs a page: ~6 ms at 10M keys, ~5,400 pages). A mass expiry's drain makes garbage
 * (lane tables shrinking as they empty), and with Node's default young generation that garbage
 * meant tens of scavenges in the drain (3M keys due at once: 43); a larger one leaves none.
 * An `--engine etcd` server keeps no keyspace, and its per-command garbage made the collector a
 * third of its CPU under Batches (docs/FLEET.md, "Tuning"). BENCHMARKS.md, "Mass expiry", has the
 * figures behind the default.
 *
 * V8 sizes the young generation when the process starts: `v8.setFlagsFromString` afterwards is
 * accepted and ignored (measured on Node 20: 149 scavenges with it, 152 without, 72 with the
 * flag on the command line, same allocations), and Node 20 has no `process.execve`. So the server
 * starts itself again as a child with the flag, and this process only relays: the child's stdio is
 * this process's, SIGTERM/SIGINT/SIGHUP are passed on, this process exits as the child did, and a
 * child whose parent dies (even by SIGKILL) kills itself at once, so the PID a supervisor holds
 * still stops the server. A semi-space size chosen on the node command line or in `NODE_OPTIONS`
 * is kept, and then nothing is started again (that is also how the child knows it is the child,
 * and how a supervisor avoids the second process: `node --max-semi-space-size=32 dist/server.mjs`).
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";

/**
 * The semi-space size (MiB) a memory-engine server runs with unless `--young-generation-mb` says
 * otherwise. 32, not 64: at load 17–23 64 cost unary calls 1.08–1.41× the server CPU of Node's 16
 * in each of three interleaved runs (32: 0.93–1.07×) and ~90 MiB of RSS at 1M keys (32: ~30), and
 * neither size has yet shown fewer scavenges at 10M keys due at once (BENCHMARKS.md, session 10).
 */
export const DEFAULT_YOUNG_GENERATION_MB = 32;

/** The semi-space size (MiB) an `--engine etcd` server runs with by default (its Batch CPU halves at 64: docs/FLEET.md). */
export const ENGINE_YOUNG_GENERATION_MB = 64;

/** The default `--young-generation-mb` of a server of `engine`. */
export function defaultYoungGenerationMb(engine: string): number {
  return engine === "etcd" ? ENGINE_YOUNG_GENERATION_MB : DEFAULT_YOUNG_GENERATION_MB;
}

/** The default size for a server started with these server arguments (`--engine etcd` or not). */
export function defaultYoungGenerationMbForArgs(args: readonly string[]): number {
  const i = args.findIndex((a) => a === "--engine" || a.startsWith("--engine="));
  const engine = i < 0 ? "memory" : args[i]?.includes("=") ? args[i]?.split("=")[1] : args[i + 1];
  return defaultYoungGenerationMb(engine ?? "memory");
}

/** The largest `--young-generation-mb` accepted (a young generation of up to ~3 GiB). */
export const MAX_YOUNG_GENERATION_MB = 1024;

/** Set in the relaunched child's environment, with the IPC channel its parent watch uses. */
const RELAUNCHED = "MEMORABILIA_SERVER_RELAUNCHED";

const SIZE_FLAG = /^--(max|min)[-_]semi[-_]space[-_]size\b/;

/** True when a semi-space size was chosen on the node command line or in NODE_OPTIONS. */
export function semiSpaceChosen(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((a) => SIZE_FLAG.test(a));
}

/**
 * The node flags that give a server the young generation of `megabytes` (none for 0: V8's
 * default): what the relaunch adds, and what a launcher that wants one process (tests, the bench,
 * a supervisor) puts on the node command line itself.
 */
export function youngGenerationNodeFlags(megabytes: number = DEFAULT_YOUNG_GENERATION_MB): string[] {
  return megabytes > 0 ? [`--max-semi-space-size=${megabytes}`] : [];
}

/** In the relaunched child: makes it die with its parent, and returns true; false elsewhere. */
function watchParent(env: NodeJS.ProcessEnv): boolean {
  if (env[RELAUNCHED] !== "1" || process.channel === undefined) return false;
  // The IPC channel closes when the parent exits, however it exits: a SIGKILLed parent's server
  // must not live on (tests and supervisors kill the PID they started).
  process.on("disconnect", () => process.kill(process.pid, "SIGKILL"));
  process.channel.unref();
  return true;
}

/**
 * Called at start-up once the configuration is read, with the configured size (0: V8's default)
 * and the environment the configuration was read from (the entry point's; nothing below `main`
 * reads `process.env`). Returns undefined when this process should serve: the size is 0, or a
 * semi-space size is already on its node command line or in NODE_OPTIONS (the relaunched child
 * has it on its command line, so it never starts a third process). Otherwise starts the child and
 * resolves with the exit code this process must exit with (it never serves).
 */
export function relaunchWithYoungGeneration(megabytes: number, env: NodeJS.ProcessEnv): Promise<number> | undefined {
  watchParent(env);
  if (megabytes === 0 || semiSpaceChosen(process.execArgv, env.NODE_OPTIONS)) return undefined;
  const child = spawn(
    process.execPath,
    [...process.execArgv, ...youngGenerationNodeFlags(megabytes), ...process.argv.slice(1)],
    { stdio: ["inherit", "inherit", "inherit", "ipc"], env: { ...env, [RELAUNCHED]: "1" } },
  );
  const relay = (signal: NodeJS.Signals) => () => {
    child.kill(signal);
  };
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];
  const relays = signals.map((s) => [s, relay(s)] as const);
  for (const [s, f] of relays) process.on(s, f);
  return new Promise<number>((resolve) => {
    child.on("error", (error) => {
      process.stderr.write(`memorabilia: could not start the server with its young generation: ${error.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => {
      for (const [s, f] of relays) process.off(s, f);
      // A child ended by a signal: 128 + its number, as a shell reports it.
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}
