/**
 * The five hosts of the runtime matrix: the edge app served by deno, bun and workerd (each a
 * child process on a loopback port, running a neutral-platform bundle), the in-page transport
 * (createRouterTransport), and the Node server. Each is started by the test and stopped by PID.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { accessSync, constants, copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { createClient, type Interceptor, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcWebTransport } from "@connectrpc/connect-web";
import { createEmbeddedTransport } from "../../shared/edge/embedded.js";
import { Health } from "../../shared/gen/grpc/health/v1/health_pb.js";
import { createStore } from "../../shared/index.js";
import { startServerProcess } from "../support/server-process.js";
import type { Bundles } from "./build.js";

/** The wire protocol a transport speaks. */
export type Protocol = "connect" | "grpc-web";

/** One host under test. */
export interface Host {
  readonly name: string;
  /** Base URL for network hosts (undefined in-page). */
  readonly url?: string;
  /** Whether the host runs the edge handler (tokens, limits and CORS configured as {@link EDGE_ENV}). */
  readonly edge: boolean;
  /** Whether the host serves a service (`memorabilia.v1.WatchService`, …). */
  serves(service: string): boolean;
  /** A transport to the host; `token` is sent as a bearer token. */
  transport(protocol: Protocol, token?: string): Transport;
  stop(): Promise<void>;
}

/** Tokens every edge host accepts. */
export const TOKENS = { admin: "adm-secret-1", readwrite: "rw-secret-2", readonly: "ro-secret-3" } as const;
/** The allowed CORS origin of the edge hosts. */
export const CORS_ORIGIN = "http://console.test";
/** The request limit of the edge hosts. */
export const EDGE_MAX_REQUEST_BYTES = 64 * 1024;

/** The MEMORABILIA_* variables every edge host is configured with. */
export const EDGE_ENV = {
  MEMORABILIA_TOKENS: `root:admin:${TOKENS.admin},app:readwrite:${TOKENS.readwrite},viewer:readonly:${TOKENS.readonly}`,
  MEMORABILIA_CORS_ORIGINS: CORS_ORIGIN,
  MEMORABILIA_MAX_REQUEST_BYTES: String(EDGE_MAX_REQUEST_BYTES),
};

const BIN = resolve("node_modules/.bin");

/** The path of a runtime binary installed from npm, or a clear failure (never a skip). */
export function runtimeBinary(name: "deno" | "bun" | "workerd"): string {
  const path = join(BIN, name);
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `The runtime matrix needs the ${name} binary at ${path}, and none was found. ` +
        `Run \`npm install\` (${name} is a devDependency that ships its binary through npm; its install ` +
        `script must be allowed: see "allowScripts" in package.json, or \`npm install-scripts approve ${name}\`).`,
    );
  }
  return path;
}

function networkTransport(url: string, protocol: Protocol, token?: string): Transport {
  const interceptors = token === undefined ? [] : [bearer(token)];
  return protocol === "connect"
    ? createConnectTransport({ baseUrl: url, interceptors })
    : createGrpcWebTransport({ baseUrl: url, interceptors });
}

function bearer(token: string): Interceptor {
  return (next) => (req) => {
    req.header.set("Authorization", `Bearer ${token}`);
    return next(req);
  };
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === "object" && address ? address.port : 0));
    });
  });
}

// If the test process dies before afterAll, take the runtimes down with it (by PID).
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** Spawns a runtime and resolves with its URL once it answers HTTP. */
async function spawnRuntime(
  name: string,
  command: string,
  args: string[],
  options: { cwd?: string; env: Record<string, string>; url?: string; listenPattern?: RegExp },
): Promise<{ child: ChildProcess; url: string; logs: string[] }> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.once("exit", () => children.delete(child));
  const logs: string[] = [];
  const exited = once(child, "exit") as Promise<[number | null, string | null]>;
  const lines = (stream: NodeJS.ReadableStream | null) =>
    stream && createInterface({ input: stream }).on("line", (l) => logs.push(l));
  lines(child.stdout);
  lines(child.stderr);
  const deadline = Date.now() + 20_000;
  let url = options.url;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before serving:\n${logs.join("\n")}`);
    }
    if (Date.now() > deadline) {
      process.kill(child.pid as number, "SIGKILL");
      throw new Error(`${name} did not serve within 20 s:\n${logs.join("\n")}`);
    }
    if (url === undefined && options.listenPattern) {
      for (const l of logs) url ??= options.listenPattern.exec(l)?.[1];
    }
    if (url !== undefined) {
      const ok = await fetch(`${url}/`).then(
        () => true,
        () => false,
      );
      if (ok) break;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  void exited;
  return { child, url, logs };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  process.kill(child.pid as number, "SIGTERM");
  const timer = setTimeout(() => child.exitCode === null && process.kill(child.pid as number, "SIGKILL"), 3000);
  await exited;
  clearTimeout(timer);
}

function edgeHost(name: string, child: ChildProcess, url: string): Host {
  return {
    name,
    url,
    edge: true,
    serves: () => true,
    transport: (protocol, token) => networkTransport(url, protocol, token),
    stop: () => stopChild(child),
  };
}

/** Deno serving the bundle. */
export async function startDeno(bundles: Bundles): Promise<Host> {
  const deno = runtimeBinary("deno");
  const { child, url } = await spawnRuntime("deno", deno, ["run", "--allow-net", "--allow-env", bundles.files.deno], {
    env: { ...EDGE_ENV, PORT: "0", DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(bundles.dir, "deno-dir"), NO_COLOR: "1" },
    listenPattern: /listening on (http:\/\/\S+)/,
  });
  return edgeHost("deno", child, url);
}

/** Bun serving the bundle. */
export async function startBun(bundles: Bundles): Promise<Host> {
  const bun = runtimeBinary("bun");
  const { child, url } = await spawnRuntime("bun", bun, ["run", bundles.files.bun], {
    env: { ...EDGE_ENV, PORT: "0", NO_COLOR: "1" },
    listenPattern: /listening on (http:\/\/\S+)/,
  });
  return edgeHost("bun", child, url);
}

/** workerd running the committed workerd.capnp with the worker bundle, the test's port and variables. */
export async function startWorkerd(bundles: Bundles): Promise<Host> {
  const workerd = runtimeBinary("workerd");
  const port = await freePort();
  let config = readFileSync("test/runtime/workerd.capnp", "utf8");
  for (const [key, value] of Object.entries(EDGE_ENV)) {
    const binding = new RegExp(`\\(name = "${key}", text = "[^"]*"\\)`);
    config = binding.test(config)
      ? config.replace(binding, `(name = "${key}", text = "${value}")`)
      : config.replace("bindings = [", `bindings = [\n    (name = "${key}", text = "${value}"),`);
  }
  const configPath = join(bundles.dir, "workerd.capnp");
  writeFileSync(configPath, config);
  copyFileSync(bundles.files.worker, join(bundles.dir, "worker.js"));
  const { child, url } = await spawnRuntime(
    "workerd",
    workerd,
    ["serve", configPath, "--socket-addr", `http=127.0.0.1:${port}`],
    { cwd: bundles.dir, env: {}, url: `http://127.0.0.1:${port}` },
  );
  return edgeHost("workerd", child, url);
}

/** The in-page transport: the services in-process over a store, no network. */
export async function startInPage(): Promise<Host> {
  const store = createStore();
  store.start();
  const transport = createEmbeddedTransport(store);
  return {
    name: "in-page",
    edge: false,
    serves: () => true,
    transport: () => transport,
    stop: async () => store.stop(),
  };
}

/** The Node server (server/main.ts) as a child process. */
export async function startNode(): Promise<Host> {
  const server = await startServerProcess();
  // The server's health service knows every service it registers.
  const health = createClient(Health, networkTransport(server.url, "connect"));
  const served = new Set(Object.keys((await health.list({})).statuses));
  return {
    name: "node",
    url: server.url,
    edge: false,
    serves: (service) => served.has(service),
    transport: (protocol, token) => networkTransport(server.url, protocol, token),
    stop: async () => {
      await server.stop();
    },
  };
}
