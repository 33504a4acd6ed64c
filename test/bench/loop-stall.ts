import { closeSync, openSync, readdirSync, readSync } from "node:fs";

/** What {@link LoopStallMeter} saw between start and stop. */
export interface LoopStall {
  /** Ticks of the 1 ms timer. */
  readonly ticks: number;
  /** Longest wall gap between two ticks, minus the 1 ms period (what monitorEventLoopDelay reports). */
  readonly wallMaxMs: number;
  /**
   * Longest CPU time the MAIN thread used between two ticks: the loop's own work, whatever the
   * host's scheduler did ({@link mainThreadCpuMs}). An upper bound of the longest task: two tasks
   * (a sweep slice and a request) can fall between two ticks.
   */
  readonly cpuMaxMs: number;
  /** The same with every thread's CPU (the process's getrusage gap): GC helpers and JIT included. */
  readonly processCpuMaxMs: number;
  /**
   * Longest time the main thread waited for a CPU (runnable, not running) between two ticks, from
   * Linux's `/proc/thread-self/schedstat` (updated at context switches); NaN where it is missing.
   */
  readonly waitMaxMs: number;
  /** The wall gap of the tick with the longest on-CPU gap (shows whether that stall was felt). */
  readonly wallAtCpuMaxMs: number;
}

/**
 * The `index`-th space-separated decimal field of `buf[0, n)`, read in place: the meter ticks every
 * millisecond inside the server it measures, so it must not add young garbage of its own (a string
 * and an array per thread per tick did: ~1 MB/s).
 */
function field(buf: Buffer, n: number, index: number): number {
  let i = 0;
  for (let f = 0; f < index; f++) {
    while (i < n && buf[i] !== 0x20) i++;
    i++;
  }
  let value = 0;
  for (; i < n; i++) {
    const d = (buf[i] as number) - 0x30;
    if (d < 0 || d > 9) break;
    value = value * 10 + d;
  }
  return value;
}

/**
 * The CPU the main thread used in one gap between ticks (ms), from what Linux lets a Node 20 process
 * read: the process's CPU (getrusage: exact, every thread), less its other threads' (GC helpers,
 * JIT compiler, libuv pool: `/proc/self/task/TID/schedstat`), and no more than the gap's wall time
 * less the main thread's own wait for a CPU — a thread cannot run longer than the wall time it was
 * not kept waiting.
 *
 * Why the second bound: Linux updates a thread's schedstat run time only at a context switch or a
 * scheduler tick, so a GC helper that is running on the other core when it is read shows the CPU
 * of its last tick, not its current total: its unread CPU (up to a tick, 4 ms at HZ=250) landed on
 * the main thread. That is how session 8's quiet round read 6.89 ms of main-thread CPU in a drain
 * whose longest wall stall was 4.01 ms. The helper's CPU shows up at its next update, where the
 * subtraction is clamped to zero.
 */
export function mainThreadCpuMs(
  processGapMs: number,
  othersGapMs: number,
  wallGapMs: number,
  waitGapMs: number,
): number {
  const byThreads = processGapMs - Math.max(0, othersGapMs);
  const onCpu = wallGapMs - (Number.isNaN(waitGapMs) ? 0 : Math.max(0, waitGapMs));
  return Math.max(0, Math.min(byThreads, onCpu));
}

/**
 * Event-loop stalls split into the loop's own work and the host's preemption: a 1 ms timer reads
 * the process's CPU time and the main thread's run-queue wait at every tick. On a busy host a
 * process is descheduled for tens or hundreds of ms; the wall gap then measures the host, the CPU
 * gap what the code did. (schedstat's own on-CPU figure is not used: Linux updates it only at
 * scheduler ticks for a running thread.) Cost: a getrusage and a 40-byte pread per ms.
 */
export class LoopStallMeter {
  private fd = -1;
  /** schedstat of the process's other threads (opened at start). */
  private others: number[] = [];
  private readonly buf = Buffer.alloc(128);
  private timer: NodeJS.Timeout | undefined;
  private last = { wall: 0, cpu: 0, wait: 0, others: 0 };
  private stats = { ticks: 0, wallMaxMs: 0, cpuMaxMs: 0, processCpuMaxMs: 0, waitMaxMs: 0, wallAtCpuMaxMs: 0 };

  constructor() {
    try {
      this.fd = openSync("/proc/thread-self/schedstat", "r");
    } catch {
      this.fd = -1; // not Linux: wall gaps only
    }
  }

  /** [ns of process CPU, ns the main thread waited for a CPU (NaN when unknown), ns of the other threads' CPU]. */
  private read(): [number, number, number] {
    const u = process.cpuUsage();
    const cpu = (u.user + u.system) * 1000;
    if (this.fd < 0) return [cpu, Number.NaN, 0];
    let n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    const wait = field(this.buf, n, 1);
    let others = 0;
    for (const fd of this.others) {
      n = readSync(fd, this.buf, 0, this.buf.length, 0);
      others += field(this.buf, n, 0);
    }
    return [cpu, wait, others];
  }

  /** Opens the schedstat of every thread but the main one (threads started later are not seen). */
  private openOthers(): void {
    for (const fd of this.others) closeSync(fd);
    this.others = [];
    if (this.fd < 0) return;
    for (const tid of readdirSync("/proc/self/task")) {
      if (tid === String(process.pid)) continue;
      try {
        this.others.push(openSync(`/proc/self/task/${tid}/schedstat`, "r"));
      } catch {
        /* the thread ended */
      }
    }
  }

  /** Starts ticking (resets the figures). */
  start(): void {
    this.stop();
    this.stats = {
      ticks: 0,
      wallMaxMs: 0,
      cpuMaxMs: 0,
      processCpuMaxMs: 0,
      waitMaxMs: this.fd < 0 ? Number.NaN : 0,
      wallAtCpuMaxMs: 0,
    };
    this.openOthers();
    const [cpu, wait, others] = this.read();
    this.last = { wall: performance.now(), cpu, wait, others };
    this.timer = setInterval(() => this.tick(), 1);
  }

  private tick(): void {
    const wall = performance.now();
    const [cpu, wait, others] = this.read();
    const s = this.stats;
    s.ticks++;
    const wallGap = wall - this.last.wall - 1;
    const processGap = (cpu - this.last.cpu) / 1e6;
    if (processGap > s.processCpuMaxMs) s.processCpuMaxMs = processGap;
    const waitGap = (wait - this.last.wait) / 1e6;
    const cpuGap = mainThreadCpuMs(processGap, (others - this.last.others) / 1e6, wall - this.last.wall, waitGap);
    if (wallGap > s.wallMaxMs) s.wallMaxMs = wallGap;
    if (cpuGap > s.cpuMaxMs) {
      s.cpuMaxMs = cpuGap;
      s.wallAtCpuMaxMs = wallGap + 1;
    }
    if (waitGap > s.waitMaxMs) s.waitMaxMs = waitGap;
    this.last = { wall, cpu, wait, others };
  }

  /** Stops ticking and returns what was seen. */
  stop(): LoopStall {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    return { ...this.stats };
  }

  /** Stops and releases the file. */
  close(): void {
    this.stop();
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    for (const fd of this.others) closeSync(fd);
    this.others = [];
  }
}
