/**
 * `--engine etcd` runs with a larger young generation (young-generation.ts): the server starts
 * itself again with `--max-semi-space-size=64`, and the started PID still stops it — by SIGTERM
 * (drained, exit code 0) and by SIGKILL (the relaunched server dies with it). A size the user chose
 * is kept (nothing relaunched).
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { semiSpaceChosen } from "../../server/engines/etcd/young-generation.js";
import { type EtcdCluster, startEtcdCluster } from "../support/etcd-cluster.js";
import { type FleetServer, startFleetServer, until } from "./support.js";

/** The PIDs of `pid`'s children (Linux). */
function children(pid: number): number[] {
  const path = `/proc/${pid}/task/${pid}/children`;
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8").trim().split(/\s+/).filter(Boolean).map(Number);
}
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
/** Gone, or a zombie not yet reaped. */
const gone = (pid: number) => !existsSync(`/proc/${pid}`) || / Z /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));

describe("--engine etcd sets its young generation", () => {
  let cluster: EtcdCluster;
  const started: FleetServer[] = [];
  beforeAll(async () => {
    cluster = await startEtcdCluster({ size: 1 });
  }, 60_000);
  afterAll(async () => {
    for (const s of started) await s.stop("SIGKILL").catch(() => {});
    await cluster?.stop();
  }, 30_000);

  it("relaunches itself with --max-semi-space-size=64; SIGKILL of the started PID kills the server", async () => {
    const s = await startFleetServer(cluster, "yg/1/");
    started.push(s);
    const [child] = children(s.process.pid);
    expect(child, "the relaunched server").toBeDefined();
    expect(cmdline(child as number)).toContain("--max-semi-space-size=64");
    expect(cmdline(s.process.pid)).not.toContain("--max-semi-space-size=64");
    await s.exec("SET", "k", "v");
    expect(await s.exec("GET", "k")).toBe("v");
    await s.stop("SIGKILL");
    await until(() => gone(child as number), 10_000, "the relaunched server to die with its parent");
  }, 60_000);

  it("SIGTERM drains the relaunched server and exits 0", async () => {
    const s = await startFleetServer(cluster, "yg/2/");
    started.push(s);
    const [child] = children(s.process.pid);
    expect(child).toBeDefined();
    expect(await s.process.stop("SIGTERM")).toBe(0);
    await until(() => gone(child as number), 10_000, "the relaunched server to exit");
  }, 60_000);

  it("keeps a size the user chose (NODE_OPTIONS or a node flag): nothing relaunched", async () => {
    const s = await startFleetServer(cluster, "yg/3/", [], { NODE_OPTIONS: "--max-semi-space-size=16" });
    started.push(s);
    expect(children(s.process.pid)).toEqual([]);
    await s.exec("SET", "k", "v");
    expect(semiSpaceChosen(["--max_semi_space_size=8"], undefined)).toBe(true);
    expect(semiSpaceChosen([], "--enable-source-maps --min-semi-space-size=4")).toBe(true);
    expect(semiSpaceChosen(["--max-old-space-size=512"], "--trace-gc")).toBe(false);
  }, 60_000);
});
