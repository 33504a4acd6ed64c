import { createInterface } from "node:readline";
import { type ServerProcess, startServerProcess } from "./server-process.js";

/** A server started with `--resp-port 0`, with the RESP port it bound. */
export interface RespServerProcess extends ServerProcess {
  readonly respPort: number;
}

const RESP_LINE = /RESP \(Redis protocol\) port listening on (\d+)/;

/**
 * Starts the server bundle (`dist/server.mjs`, as `npm start` runs it; built once by the test
 * run's global setup) with `--resp-port 0` plus `args`, and resolves once the RESP port listens.
 * Stop it with `stop()` (by PID).
 */
export async function startRespServerProcess(
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<RespServerProcess> {
  const server = await startServerProcess(["--resp-port", "0", ...args], env);
  const known = server.logs.map((l) => RESP_LINE.exec(l)).find((m) => m !== null);
  const respPort = known
    ? Number(known[1])
    : await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no RESP port in 20 s:\n${server.logs.join("\n")}`)), 20_000);
        const onLine = (line: string) => {
          const m = RESP_LINE.exec(line);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1]));
          }
        };
        createInterface({ input: server.child.stdout! }).on("line", onLine);
        server.child.once("exit", () => reject(new Error(`server exited:\n${server.logs.join("\n")}`)));
      });
  return Object.assign(server, { respPort });
}
