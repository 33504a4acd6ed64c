/**
 * BullMQ, unchanged, against the RESP port: the library Redis users run job queues with. It needs
 * Lua scripts (EVALSHA of ~100 scripts with cmsgpack and cjson), blocking commands (the worker
 * waits in BZPOPMIN on a marker key), streams (events in XADD'ed streams read by XREAD BLOCK) and
 * Redis's transactions. Every job must run exactly once, retries and delays must keep their
 * schedule, priorities their order, and QueueEvents must see every completion.
 */
import { type Job, Queue, QueueEvents, Worker } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RespServerProcess, startRespServerProcess } from "../support/resp-server.js";

let server: RespServerProcess;

beforeAll(async () => {
  server = await startRespServerProcess();
});

afterAll(async () => {
  await server?.stop();
});

/** Resolves when `check()` holds, polling; rejects after `ms`. */
async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("BullMQ against the RESP port", () => {
  it("runs every job once: bulk, retries with backoff, a delay, priorities, and events", async () => {
    const connection = { host: "127.0.0.1", port: server.respPort, maxRetriesPerRequest: null };
    const name = `jobs-${Date.now()}`;
    const queue = new Queue(name, { connection });
    const events = new QueueEvents(name, { connection });
    await events.waitUntilReady();
    let completedEvents = 0;
    events.on("completed", () => completedEvents++);
    const runs = new Map<string, number>();
    const failures: [string, number][] = [];
    const completed: Job[] = [];
    const results: unknown[] = [];
    const errors: string[] = [];
    let worker: Worker | undefined;
    try {
      const added = Date.now();
      await queue.addBulk(Array.from({ length: 100 }, (_, i) => ({ name: "bulk", data: { i } })));
      const flaky = await queue.add("flaky", {}, { attempts: 3, backoff: { type: "fixed", delay: 200 } });
      const delayed = await queue.add("delayed", {}, { delay: 800 });
      // Added before the worker starts: with one worker at concurrency 1 they run highest priority first.
      await queue.add("low", {}, { priority: 10 });
      await queue.add("high", {}, { priority: 1 });
      expect(await queue.getJobCounts("waiting", "delayed", "prioritized")).toMatchObject({
        waiting: 101,
        delayed: 1,
        prioritized: 2,
      });
      worker = new Worker(
        name,
        async (job) => {
          runs.set(job.id as string, (runs.get(job.id as string) ?? 0) + 1);
          if (job.name === "flaky") throw new Error(`attempt ${job.attemptsMade + 1} failed`);
          return job.name === "bulk" ? job.data.i * 2 : job.name;
        },
        { connection, concurrency: 1 },
      );
      worker.on("error", (error) => errors.push(error.message));
      worker.on("failed", (job, error) => failures.push([error.message, job?.attemptsMade ?? -1]));
      worker.on("completed", (job, result) => {
        completed.push(job);
        results.push(result);
      });
      await until(
        () => completed.length === 103 && failures.length === 3,
        60_000,
        () => `${completed.length} completed, ${failures.length} failures, errors ${errors.join("; ")}`,
      );
      await until(
        () => completedEvents === 103,
        20_000,
        () => `${completedEvents} completed events`,
      );

      expect(errors).toEqual([]);
      expect(runs.size).toBe(104);
      for (const [id, n] of runs) expect(n, `runs of job ${id}`).toBe(id === flaky.id ? 3 : 1);
      expect(failures).toEqual([
        ["attempt 1 failed", 1],
        ["attempt 2 failed", 2],
        ["attempt 3 failed", 3],
      ]);
      // The result as the worker returned it (BullMQ leaves job.returnvalue unset for 0, on Redis too).
      const bulk = results.filter((_, i) => completed[i]?.name === "bulk") as number[];
      expect(bulk.sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i * 2));
      const order = completed.map((j) => j.name).filter((n) => n === "high" || n === "low");
      expect(order).toEqual(["high", "low"]);
      const ran = completed.find((j) => j.id === delayed.id);
      expect(ran?.processedOn).toBeGreaterThanOrEqual(added + 800);
      expect(await queue.getJobCounts("completed", "failed", "active", "waiting", "delayed")).toMatchObject({
        completed: 103,
        failed: 1,
        active: 0,
        waiting: 0,
        delayed: 0,
      });
    } finally {
      await worker?.close();
      await events.close();
      await queue.close();
    }
  }, 120_000);
});
