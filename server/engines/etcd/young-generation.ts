/**
 * `--engine etcd` runs with a larger young generation (V8 semi-spaces of
 * {@link ENGINE_SEMI_SPACE_MB} MiB instead of Node's 16): an engine server keeps no keyspace, what
 * it allocates is per command and dies young, and with Node's default the garbage collector was a
 * third of its CPU under Batches (docs/FLEET.md, "Tuning").
 *
 * V8 sizes the young generation when the process starts: `v8.setFlagsFromString` afterwards is
 * accepted and ignored (measured on Node 20: 149 scavenges with it, 152 without, 72 with the
 * flag on the command line, same allocations), and Node 20 has no `process.execve`. So the server
 * starts itself again as a child with the flag, and this process only relays: the child's stdio is
 * this process's, SIGTERM/SIGINT/SIGHUP are passed on, this process exits as the child did, and a
 * child whose parent dies (even by SIGKILL) kills itself at once, so the PID a supervisor holds
 * still stops the server. A semi-space size chosen by the user (`NODE_OPTIONS` or a node flag)
 * is kept: then nothing is started again.
 */
import { spawn } from "node:child_process";
import { constants } from "node:os";

/** The semi-space size (MiB) an engine server runs with. */
export const ENGINE_SEMI_SPACE_MB = 64;

/** Set in the child's environment: it is the relaunched server. */
const RELAUNCHED = "MEMORABILIA_ENGINE_RELAUNCHED";

const SIZE_FLAG = /^--(max|min)[-_]semi[-_]space[-_]size\b/;

/** True when the user chose a semi-space size (a node flag or NODE_OPTIONS). */
export function semiSpaceChosen(execArgv: readonly string[], nodeOptions: string | undefined): boolean {
  return [...execArgv, ...(nodeOptions ?? "").split(/\s+/)].some((a) => SIZE_FLAG.test(a));
}

/**
 * In the relaunched child: makes it die with its parent, and returns true; false elsewhere.
 */
function watchParent(env: NodeJS.ProcessEnv): boolean {
  if (env[RELAUNCHED] !== "1" || process.channel === undefined) return false;
  // The IPC channel closes when the parent exits, however it exits: a SIGKILLed parent's server
  // must not live on (tests and supervisors kill the PID they started).
  process.on("disconnect", () => process.kill(process.pid, "SIGKILL"));
  process.channel.unref();
  return true;
}

/**
 * Called at start-up once the configuration says `--engine etcd`, with the environment the
 * configuration was read from (the entry point's; nothing below `main` reads `process.env`):
 * returns undefined when this process should serve (it is the relaunched child, or the user chose
 * a semi-space size); otherwise starts the child and resolves with the exit code this process
 * must exit with (it never serves).
 */
export function relaunchForEngine(env: NodeJS.ProcessEnv): Promise<number> | undefined {
  if (watchParent(env)) return undefined;
  if (env[RELAUNCHED] === "1" || semiSpaceChosen(process.execArgv, env.NODE_OPTIONS)) return undefined;
  const child = spawn(
    process.execPath,
    [...process.execArgv, `--max-semi-space-size=${ENGINE_SEMI_SPACE_MB}`, ...process.argv.slice(1)],
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
      process.stderr.write(`memorabilia: could not start the engine server: ${error.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => {
      for (const [s, f] of relays) process.off(s, f);
      // A child ended by a signal: 128 + its number, as a shell reports it.
      resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal]));
    });
  });
}
