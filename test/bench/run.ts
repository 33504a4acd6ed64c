/**
 * `npm run bench`: Memorabilia side by side with Redis, etcd, a bare Map and lru-cache.
 *
 *   npm run bench                 # the full run (~10 minutes)
 *   npm run bench -- --quick      # a tiny run of every part (plumbing check)
 *   npm run bench -- --only=in-process,unary   # some parts: in-process, network, transport, gate, resp, memory, expiry, durability, keyspace, etcd, streams, console
 *   npm run bench -- --only=restart           # on demand: expiry-10m, keyspace-100m, restart (bench.ts)
 */
import { runBench } from "./bench.js";
import { stopAll } from "./processes.js";

const args = process.argv.slice(2);
const only = args
  .find((a) => a.startsWith("--only="))
  ?.slice("--only=".length)
  .split(",");
let interrupted = false;
const onSignal = (signal: string) => {
  if (interrupted) return;
  interrupted = true;
  process.stderr.write(`\n${signal}: stopping the processes the bench started\n`);
  stopAll().finally(() => process.exit(130));
};
process.on("SIGINT", () => onSignal("SIGINT"));
process.on("SIGTERM", () => onSignal("SIGTERM"));

const roundsArg = args.find((a) => a.startsWith("--expiry-rounds="))?.slice("--expiry-rounds=".length);
const expiryRounds = roundsArg === undefined ? undefined : Number(roundsArg);
if (expiryRounds !== undefined && !(Number.isInteger(expiryRounds) && expiryRounds > 0)) {
  throw new Error("--expiry-rounds must be a positive integer");
}
runBench({ quick: args.includes("--quick"), only, outDir: ".bench", expiryRounds })
  .then(
    () => 0,
    (error: unknown) => {
      process.stderr.write(`\nbench failed: ${(error as Error).stack ?? String(error)}\n`);
      return 1;
    },
  )
  .then(async (code) => {
    await stopAll();
    process.exit(code);
  });
