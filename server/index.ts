/**
 * `memorabilia/server`: the Node host as a library — start the server in your own process.
 *
 * @example
 * ```ts
 * import { defaultConfig, startServer } from "memorabilia/server";
 * const server = await startServer(defaultConfig({ port: 0 }));
 * console.log(server.url); // http://127.0.0.1:<port>
 * await server.close();
 * ```
 */
import { loadConfig, type ServerConfig } from "./config.js";

export { type MemorabiliaServer, type ServerDeps, startServer } from "./app.js";
export { ConfigError, envName, helpText, type LoadedConfig, loadConfig, OPTIONS, type ServerConfig } from "./config.js";

/**
 * The default configuration (as `npm start` with no flags would use), with `overrides` applied.
 * Environment variables are not read: embedders decide.
 */
export function defaultConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  const loaded = loadConfig([], {});
  if (loaded.help) throw new Error("unreachable: no --help given");
  return { ...loaded.config, ...overrides };
}
