#!/usr/bin/env node
/**
 * `npm start`: runs the Memorabilia server (embedded in-memory store, API on one port, console at /).
 */
import { startServer } from "./app.js";
import { ConfigError, helpText, loadConfig } from "./config.js";
import { relaunchForEngine } from "./engines/etcd/young-generation.js";

async function main(): Promise<void> {
  let loaded: ReturnType<typeof loadConfig>;
  try {
    loaded = loadConfig(process.argv.slice(2), process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`memorabilia: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  if (loaded.help) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  if (loaded.config.engine === "etcd") {
    // An engine server runs with a larger young generation: started again with it (see the module).
    const exit = relaunchForEngine(process.env);
    if (exit !== undefined) process.exit(await exit);
  }
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(loaded.config);
  } catch (error) {
    // Bad tokens, a data dir that must not be loaded (--on-corrupt-tail=refuse): say why, exit 2.
    if (error instanceof ConfigError) {
      process.stderr.write(`memorabilia: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  server.app.log.info(`Memorabilia is serving gRPC, gRPC-Web and Connect, and the console, at ${server.url}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.app.log.info({ signal }, "shutting down: draining in-flight calls and streams");
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(`memorabilia: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
