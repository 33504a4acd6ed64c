import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type BenchResult, runBench } from "./bench.js";
import type { ConsoleCostDetails, ConsoleWindow } from "./console-cost.js";
import { judgeConsole } from "./console-verdict.js";
import { renderReport } from "./report.js";
import { spread, summarize } from "./stats.js";

// The bench's own plumbing, with a tiny in-process run: no timing is asserted.
describe("bench plumbing", () => {
  const dir = mkdtempSync(join(tmpdir(), "memorabilia-bench-test-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each([
    [[3, 1, 2], { median: 2, min: 1, max: 3, n: 3 }],
    [[4, 1, 3, 2], { median: 2.5, min: 1, max: 4, n: 4 }],
  ])("spread(%j)", (values, expected) => {
    expect(spread(values)).toEqual(expected);
  });

  it("summarizes samples per (group, op, target) with server CPU per op", () => {
    const rows = summarize([
      { group: "g", op: "GET", target: "a", round: 0, ops: 100, seconds: 1, serverCpuMs: 10 },
      { group: "g", op: "GET", target: "a", round: 1, ops: 300, seconds: 1, serverCpuMs: 30 },
      { group: "g", op: "GET", target: "b", round: 0, ops: 50, seconds: 1 },
    ]);
    expect(rows.map((r) => [r.target, r.opsPerSec.median, r.cpuUsPerOp?.median])).toEqual([
      ["a", 200, 100],
      ["b", 50, undefined],
    ]);
  });

  it("runs the in-process part, prints a table with ratios and writes raw JSON", async () => {
    const lines: string[] = [];
    const { report, file } = await runBench({
      quick: true,
      only: ["in-process"],
      outDir: dir,
      progress: (l) => lines.push(l),
    });
    expect(lines.some((l) => l.startsWith("in-process GET core execSync"))).toBe(true);
    expect(report).toMatch(/\| GET +\| core execSync +\|/);
    expect(report).toContain("vs Map");
    expect(report).toMatch(/in-process SET \(core execSync\) ≥ 0\.7× Map/);
    const json = JSON.parse(readFileSync(file, "utf8"));
    expect(json.samples.length).toBeGreaterThan(0);
    // Measured in a process of its own where no loaded module has slowed String.prototype (ioredis
    // 6's `extends String` does, and the bench process loads it): in-process-child.ts.
    expect(json.notes).toContainEqual(expect.stringMatching(/^in-process: .*String\.prototype fast throughout/));
    expect(new Set(json.rows.map((r: { target: string }) => r.target))).toEqual(
      new Set([
        "core execSync",
        "core run",
        "core typed",
        "OpenKeyTable (keyspace)",
        "OpenKeyTable + counters",
        "Map lanes by 2 key bytes",
        "Map lanes by 3 key bytes",
        "Map",
        "lru-cache TTL",
      ]),
    );
    expect(JSON.parse(readFileSync(join(dir, "latest.json"), "utf8")).startedAt).toBe(json.startedAt);
  });

  it("judges the transport on the median of per-round paired ratios, with each round's load", () => {
    const round = (n: number, load: number, floorUs: number, oursUs: number) => ({
      round: n,
      load,
      op: "GET",
      target: "fast: gRPC h2c",
      floor: "floor: bare node:http2 h2c, fixed gRPC reply",
      floorUs,
      oursUs,
      ratio: oursUs / floorUs,
    });
    const result: BenchResult = {
      startedAt: "t",
      quick: false,
      machine: { cpus: 2, cpuModel: "x", memoryGiB: 1, node: "v20", platform: "linux" },
      samples: [],
      notes: [],
      // Floors that swing 4× across rounds. Pooled, the medians would say 60 ÷ 40 = 1.5× (a miss);
      // paired, two of three rounds say 1.2×.
      transport: {
        samples: [],
        bounds: { concurrency: 50, maxCalls: 20_000, maxMs: 250 },
        rounds: [round(0, 3.5, 20, 60), round(1, 12, 80, 96), round(2, 7, 40, 48)],
      },
    };
    const report = renderReport(result, []);
    expect(report).toMatch(
      /gRPC h2c GET server CPU ≤ 1\.3× .*\| median of 3 paired rounds 1\.2× \(1\.2–3\).*quietest round \(load 3\.5\) 3× +\| pass/,
    );
    expect(report).toMatch(/\| GET +\| fast: gRPC h2c +\| 1\.2× +\| 3 +\| 1\.2 +\| 1\.2 +\|/);
    expect(report).toContain("r2 (load 12)");
    const failing = renderReport(
      { ...result, transport: { ...result.transport!, rounds: [round(0, 3, 20, 40), round(1, 3, 20, 40)] } },
      [],
    );
    expect(failing).toMatch(/gRPC h2c GET server CPU ≤ 1\.3× .*\| median of 2 paired rounds 2× .*\| miss/);
  });

  it("judges the console on the total CPU per SET of the pairs where both sides held the writer's pace", () => {
    // A side at a third of its pace spreads the same per-second cost over a third of the SETs.
    const w = (pair: number, console: boolean, ops: number, cpuUsPerOp: number, majorGcMs = 0): ConsoleWindow => ({
      pair,
      console,
      ops,
      seconds: 4,
      cpuMs: (ops * cpuUsPerOp) / 1000,
      mainCpuMs: (ops * cpuUsPerOp * 0.8) / 1000,
      minorGcs: 10,
      minorGcMs: 5,
      majorGcs: majorGcMs > 0 ? 1 : 0,
      majorGcMs,
      majorWorkMs: majorGcMs * 2,
      allocatedMb: 150,
      promotedMb: 1,
      load: 1.5,
      browserMsPerS: 50,
    });
    const details: ConsoleCostDetails = {
      rate: 1500,
      windowMs: 4000,
      pinned: true,
      windows: [
        w(-1, true, 6000, 150), // the warm-up: never judged
        w(0, false, 6000, 100),
        w(0, true, 6000, 104),
        w(1, false, 6000, 100),
        w(1, true, 2000, 190), // off pace: left out
        w(2, false, 5800, 100),
        w(2, true, 6000, 103),
      ],
    };
    const result: BenchResult = {
      startedAt: "t",
      quick: false,
      machine: { cpus: 2, cpuModel: "x", memoryGiB: 1, node: "v20", platform: "linux" },
      samples: [],
      console: details,
      notes: [],
    };
    expect(renderReport(result, summarize(result.samples))).toMatch(
      /total server CPU per SET \(every GC counted\) ≤ 1\.05× without \| \*\*1\.03\d×\*\* over 2 pairs.*1 pair\(s\) left out.* \| pass/,
    );
    const noneHeld: BenchResult = {
      ...result,
      console: { ...details, windows: details.windows.map((x) => ({ ...x, ops: 1000 })) },
    };
    expect(renderReport(noneHeld, summarize(noneHeld.samples))).toMatch(
      /no pair held the writer's pace; 3 pair\(s\) left out.*\| n\/a/,
    );
    // A mark-compact in one console window is the console's cost: the median of the pairs' ratios
    // (1.0×, judged until session 9) set that pair aside; the total counts it (1.2×: a miss).
    const gcHit: BenchResult = {
      ...result,
      console: {
        ...details,
        windows: [
          w(0, false, 6000, 100),
          w(0, true, 6000, 100),
          w(1, true, 6000, 100),
          w(1, false, 6000, 100),
          w(2, false, 6000, 100),
          w(2, true, 6000, 160, 300),
        ],
      },
    };
    const judged = judgeConsole(gcHit.console as ConsoleCostDetails);
    expect(judged).toMatchObject({ pairMedian: 1, ratio: 1.2 });
    expect(renderReport(gcHit, summarize(gcHit.samples))).toMatch(
      /\*\*1\.200×\*\* over 3 pairs.*major 17 µs\/SET, 1 major.*\| miss/,
    );
  });
});
