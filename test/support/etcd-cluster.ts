import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** One member of a test etcd cluster. */
export interface EtcdMember {
  /** `m1`, `m2`, … */
  readonly name: string;
  /** Client URL, `http://127.0.0.1:PORT`. */
  readonly clientUrl: string;
  /** Peer URL. */
  readonly peerUrl: string;
  /** Its data directory (kept across {@link EtcdCluster.restart}). */
  readonly dataDir: string;
  /** PID of the running process, or undefined while it is stopped. */
  readonly pid: number | undefined;
  /** True while the process runs. */
  readonly running: boolean;
  /** The last 200 lines of its output. */
  readonly logs: readonly string[];
}

/** A real etcd cluster of separate processes on loopback, for tests. */
export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Client URLs of every member (running or not), for a client's endpoint list. */
  readonly endpoints: readonly string[];
  /** The running member that is leader now (asks each running member; waits up to `timeoutMs` for one). */
  leader(timeoutMs?: number): Promise<EtcdMember>;
  /** A running member that is not the leader. */
  follower(timeoutMs?: number): Promise<EtcdMember>;
  /** Sends `signal` (default SIGKILL) to a member's PID and resolves once it has exited. */
  kill(member: EtcdMember, signal?: NodeJS.Signals): Promise<void>;
  /** Starts a stopped member again on its data directory and ports; resolves once it serves. */
  restart(member: EtcdMember): Promise<void>;
  /** Resolves once a leader is elected and every running member agrees on it. */
  waitForLeader(timeoutMs?: number): Promise<EtcdMember>;
  /** Stops every member by PID (SIGTERM, then SIGKILL after 5 s) and removes the data directories. */
  stop(): Promise<void>;
}

/** Options of {@link startEtcdCluster}. */
export interface EtcdClusterOptions {
  /** Members. @default 3 */
  readonly size?: number;
  /** Extra etcd flags for every member. */
  readonly extraArgs?: readonly string[];
  /** Path of the etcd binary. @default the first `etcd` on PATH or /usr/bin/etcd */
  readonly binary?: string;
  /**
   * Serve clients over TLS (`https://` client URLs) with this certificate, key and CA (PEM files);
   * with `clientCertAuth`, etcd accepts only clients holding a certificate the CA issued
   * (`--client-cert-auth`). The certificate must also allow clientAuth: the harness uses it to ask
   * members for their status. Peers talk plain HTTP on loopback.
   */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca: string; readonly clientCertAuth: boolean };
}

/** The etcd binary on PATH (or /usr/bin, /usr/local/bin), or undefined when etcd is not installed. */
export function findEtcd(): string | undefined {
  const dirs = [...(process.env.PATH ?? "").split(":"), "/usr/bin", "/usr/local/bin"];
  for (const d of dirs) if (d && existsSync(join(d, "etcd"))) return join(d, "etcd");
  return undefined;
}

/** A free loopback port (the kernel picks it; released before etcd binds it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** TLS material of the harness's own status calls to https:// members. */
interface StatusTls {
  readonly ca: Buffer;
  readonly cert: Buffer;
  readonly key: Buffer;
}

/** POSTs `{}` to an https:// URL trusting `tls.ca` (and presenting its certificate); the JSON body, or undefined. */
function postTls(url: string, tls: StatusTls): Promise<unknown> {
  return new Promise((resolve) => {
    const req = request(url, { method: "POST", ...tls, timeout: 1000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          resolve(res.statusCode === 200 ? JSON.parse(Buffer.concat(chunks).toString()) : undefined);
        } catch {
          resolve(undefined);
        }
      });
      res.on("error", () => resolve(undefined));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(undefined));
    req.end("{}");
  });
}

/** Member status through etcd's JSON gateway (`/v3/maintenance/status`): its id and the leader it knows. */
async function status(clientUrl: string, tls?: StatusTls): Promise<{ member: string; leader: string } | undefined> {
  try {
    let json: unknown;
    if (tls !== undefined) json = await postTls(`${clientUrl}/v3/maintenance/status`, tls);
    else {
      const res = await fetch(`${clientUrl}/v3/maintenance/status`, {
        method: "POST",
        body: "{}",
        signal: AbortSignal.timeout(1000),
      });
      if (!res.ok) return undefined;
      json = await res.json();
    }
    const body = (json ?? {}) as { header?: { member_id?: string }; leader?: string };
    if (!body.header?.member_id || !body.leader || body.leader === "0") return undefined;
    return { member: body.header.member_id, leader: body.leader };
  } catch {
    return undefined;
  }
}

const READY = /ready to serve client requests|serving insecure client requests|serving client traffic/;

class Member implements EtcdMember {
  child: ChildProcess | undefined;
  logs: string[] = [];
  private exited: Promise<void> = Promise.resolve();

  constructor(
    readonly name: string,
    readonly clientUrl: string,
    readonly peerUrl: string,
    readonly dataDir: string,
    private readonly args: readonly string[],
    private readonly binary: string,
  ) {}

  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Spawns the process; resolves once it logs that it serves clients. */
  start(timeoutMs = 30_000): Promise<void> {
    const child = spawn(this.binary, this.args, { stdio: ["ignore", "pipe", "pipe"] });
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`etcd ${this.name} did not serve in ${timeoutMs} ms:\n${this.logs.join("\n")}`));
      }, timeoutMs);
      const onLine = (line: string) => {
        this.logs.push(line);
        if (this.logs.length > 200) this.logs.shift();
        if (READY.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      };
      if (child.stdout) createInterface({ input: child.stdout }).on("line", onLine);
      if (child.stderr) createInterface({ input: child.stderr }).on("line", onLine);
      child.once("exit", (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`etcd ${this.name} exited (${code ?? signal}) before serving:\n${this.logs.join("\n")}`));
      });
    });
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!this.running || child?.pid === undefined) return;
    process.kill(child.pid, signal);
    const force = setTimeout(() => {
      if (this.running) process.kill(child.pid as number, "SIGKILL");
    }, 5000);
    await this.exited;
    clearTimeout(force);
  }
}

/**
 * Starts a real `size`-member etcd cluster (Debian's etcd-server) on free loopback ports, each member
 * with a temporary data directory and `--max-txn-ops 1024` (the etcd engine's transactions go
 * past the default 128). Resolves once a leader is elected. The caller must {@link EtcdCluster.stop}
 * it (every member is stopped by its PID).
 */
export async function startEtcdCluster(options: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  const size = options.size ?? 3;
  const binary = options.binary ?? findEtcd();
  if (binary === undefined) throw new Error("etcd is not installed (apt-get install etcd-server)");
  const root = mkdtempSync(join(tmpdir(), "memorabilia-etcd-cluster-"));
  const ports: number[] = [];
  // Distinct ports: the kernel may hand the same freed port out twice in a row.
  while (ports.length < size * 2) {
    const p = await freePort();
    if (!ports.includes(p)) ports.push(p);
  }
  const specs = Array.from({ length: size }, (_, i) => ({
    name: `m${i + 1}`,
    client: `${options.tls === undefined ? "http" : "https"}://127.0.0.1:${ports[2 * i]}`,
    peer: `http://127.0.0.1:${ports[2 * i + 1]}`,
  }));
  const initialCluster = specs.map((s) => `${s.name}=${s.peer}`).join(",");
  const token = `memorabilia-test-${process.pid}-${Date.now()}`;
  const members = specs.map((s) => {
    const dataDir = join(root, s.name);
    const args = [
      "--name",
      s.name,
      "--data-dir",
      dataDir,
      "--listen-client-urls",
      s.client,
      "--advertise-client-urls",
      s.client,
      "--listen-peer-urls",
      s.peer,
      "--initial-advertise-peer-urls",
      s.peer,
      "--initial-cluster",
      initialCluster,
      "--initial-cluster-token",
      token,
      "--initial-cluster-state",
      "new",
      "--max-txn-ops",
      "1024",
      "--pre-vote",
      "--logger",
      "zap",
      ...(options.tls === undefined
        ? []
        : [
            ...["--cert-file", options.tls.cert, "--key-file", options.tls.key, "--trusted-ca-file", options.tls.ca],
            ...(options.tls.clientCertAuth ? ["--client-cert-auth"] : []),
          ]),
      ...(options.extraArgs ?? []),
    ];
    return new Member(s.name, s.client, s.peer, dataDir, args, binary);
  });

  const statusTls =
    options.tls === undefined
      ? undefined
      : {
          ca: readFileSync(options.tls.ca),
          cert: readFileSync(options.tls.cert),
          key: readFileSync(options.tls.key),
        };
  const statusOf = async (m: Member) => (m.running ? await status(m.clientUrl, statusTls) : undefined);

  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    async waitForLeader(timeoutMs = 30_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const live = members.filter((m) => m.running);
        const seen = await Promise.all(live.map(statusOf));
        const leaders = new Set(seen.map((s) => s?.leader));
        const leaderId = seen[0]?.leader;
        if (leaderId !== undefined && leaders.size === 1 && !leaders.has(undefined)) {
          const i = seen.findIndex((s) => s?.member === leaderId);
          if (i >= 0) return live[i] as Member;
        }
        if (Date.now() > until) throw new Error(`no etcd leader within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    leader(timeoutMs) {
      return cluster.waitForLeader(timeoutMs);
    },
    async follower(timeoutMs) {
      const leader = await cluster.waitForLeader(timeoutMs);
      const other = members.find((m) => m.running && m !== leader);
      if (other === undefined) throw new Error("no running follower");
      return other;
    },
    async kill(member, signal = "SIGKILL") {
      await (member as Member).kill(signal);
    },
    async restart(member) {
      const m = member as Member;
      if (m.running) return;
      // Its data directory is kept: the member rejoins as itself (initial-cluster flags are ignored).
      await m.start();
    },
    async stop() {
      await Promise.all(members.map((m) => m.kill("SIGTERM")));
      rmSync(root, { recursive: true, force: true });
    },
  };

  try {
    await Promise.all(members.map((m) => m.start()));
    await cluster.waitForLeader();
  } catch (error) {
    await cluster.stop();
    throw error;
  }
  return cluster;
}
