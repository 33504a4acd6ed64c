/**
 * A Health.Check loop on its own thread (worker_threads) and its own HTTP/2 connection, for tests
 * whose own thread is busy while the server works: decoding a reply of 100,000 elements blocks the
 * test's event loop too, and a probe on that loop would count the client's time as the server's.
 * Each check is a raw gRPC call (no protobuf runtime needed in the worker); its time is recorded
 * under the labels in force when it started and when it answered, so a test can tell which call
 * held the server.
 */
import { Worker } from "node:worker_threads";

const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const http2 = require("node:http2");
const { url, everyMs, deadlineMs } = workerData;
const session = http2.connect(url);
session.on("error", () => {});
let label = "";
let running = true;
let checks = 0;
const failures = [];
const worst = {};
parentPort.on("message", (m) => {
  if (m.label !== undefined) label = m.label;
  if (m.stop) running = false;
});
function check() {
  return new Promise((resolve) => {
    const s = session.request({ ":method": "POST", ":path": "/grpc.health.v1.Health/Check",
      "content-type": "application/grpc", te: "trailers", "grpc-timeout": deadlineMs + "m" });
    const chunks = [];
    let status;
    const timer = setTimeout(() => { s.close(); resolve("no answer in " + deadlineMs + " ms"); }, deadlineMs);
    s.on("data", (c) => chunks.push(c));
    s.on("trailers", (t) => { status = t["grpc-status"]; });
    s.on("error", (e) => { clearTimeout(timer); resolve(String(e)); });
    s.on("close", () => {
      clearTimeout(timer);
      const body = Buffer.concat(chunks);
      // HealthCheckResponse { status: SERVING (1) } is 08 01 after the 5-byte frame header.
      resolve(status === "0" && body.subarray(5).equals(Buffer.from([8, 1])) ? undefined : "status " + status + " body " + body.toString("hex"));
    });
    s.end(Buffer.alloc(5));
  });
}
(async () => {
  while (running) {
    const at = label;
    const t0 = performance.now();
    const failure = await check();
    const ms = performance.now() - t0;
    checks++;
    if (failure !== undefined) failures.push(failure);
    for (const l of new Set([at, label])) worst[l] = Math.max(worst[l] ?? 0, ms);
    if (running) await new Promise((r) => setTimeout(r, everyMs));
  }
  session.close();
  parentPort.postMessage({ checks, failures, worst });
})();
`;

/** What a {@link ThreadProbe} saw. */
export interface ThreadProbeReport {
  readonly checks: number;
  readonly failures: string[];
  /** The slowest Health.Check (milliseconds) started or answered under each label ("": unlabelled). */
  readonly worstMs: Record<string, number>;
}

/** A running probe. */
export interface ThreadProbe {
  /** Labels the checks started from now on. */
  label(name: string): void;
  /** Stops the loop (after the check in flight), ends the thread and reports. */
  stop(): Promise<ThreadProbeReport>;
}

/** Starts Health.Check every `everyMs` (each with a `deadlineMs` deadline) on a worker thread. */
export function startHealthProbeThread(url: string, everyMs = 20, deadlineMs = 10_000): ThreadProbe {
  const worker = new Worker(WORKER, { eval: true, workerData: { url, everyMs, deadlineMs } });
  const report = new Promise<ThreadProbeReport>((resolve, reject) => {
    worker.once("message", (m: { checks: number; failures: string[]; worst: Record<string, number> }) =>
      resolve({
        checks: m.checks,
        failures: m.failures,
        worstMs: Object.fromEntries(Object.entries(m.worst).map(([k, v]) => [k, Math.round(v)])),
      }),
    );
    worker.once("error", reject);
  });
  return {
    label: (name) => worker.postMessage({ label: name }),
    async stop() {
      worker.postMessage({ stop: true });
      const r = await report;
      await worker.terminate();
      return r;
    },
  };
}
