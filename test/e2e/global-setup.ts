import { execFileSync } from "node:child_process";
import { startServerProcess } from "../support/server-process.js";

/**
 * Builds the console into dist/web (vite build, about a second) and the server bundle into
 * dist/server.mjs (`npm run build:server`), and starts that bundle, as `npm start` does, for the
 * suite; its URL reaches the tests as MEMORABILIA_E2E_URL. Returns the teardown (stop by PID).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  execFileSync(process.execPath, ["node_modules/vite/bin/vite.js", "build", "--logLevel", "warn"], {
    stdio: "inherit",
  });
  execFileSync("npm", ["run", "--silent", "build:server"], { stdio: "inherit" });
  // The default limits: the command-bar test's HGETALL of a 100k-field hash (200,000 reply
  // elements) is within --max-reply-elements (1,000,000).
  const server = await startServerProcess([], {}, "dist/server.mjs");
  process.env.MEMORABILIA_E2E_URL = server.url;
  return async () => {
    await server.stop();
  };
}
