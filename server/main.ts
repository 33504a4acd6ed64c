#!/usr/bin/env node
/**
 * `npm start`: runs the Memorabilia server (embedded in-memory store, API on one port, console at /).
 */
import type { startServer as StartServer } from "./app.js";
import { ConfigError, helpText, loadConfig } from "./config.js";
import { relaunchWithYoungGeneration } from "./young-generation.js";

type StartedServer = Awaited<ReturnType<typeof StartServer>>;

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
  // Every server runs with the configured young generation: started again with it when the node
  // command line lacks it (see the module). The relaying parent never loads the server's modules.
  const exit = relaunchWithYoungGeneration(loaded.config.youngGenerationMb, process.env);
  if (exit !== undefined) process.exit(await exit);
  // Signals are handled from here on, not only once the server listens: a SIGTERM that arrives
  // while it starts (a supervisor, a test stopping the PID as soon as it logs "listening", a
  // relaying parent passing one on) waits for the start and then drains, instead of killing it.
  let server: StartedServer | undefined;
  let signalled: string | undefined;
  let draining = false;
  const drain = () => {
    if (draining || server === undefined || signalled === undefined) return;
    draining = true;
    const s = server;
    s.app.log.info({ signal: signalled }, "shutting down: draining in-flight calls and streams");
    s.close().then(
      () => process.exit(0),
      (error: unknown) => {
        s.app.log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  const onSignal = (signal: string) => () => {
    signalled ??= signal;
    drain();
  };
  process.on("SIGTERM", onSignal("SIGTERM"));
  process.on("SIGINT", onSignal("SIGINT"));
  const { startServer } = await import("./app.js");
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
  drain();
}

main().catch((error: unknown) => {
  process.stderr.write(`memorabilia: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
