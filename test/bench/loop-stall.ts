import { closeSync, openSync, readSync } from "node:fs";

/** What {@link LoopStallMeter} saw between start and stop. */
export interface LoopStall {
  /** Ticks of the 1 ms timer. */
  readonly ticks: number;
  /** Longest wall gap between two ticks, minus the 1 ms period (what monitorEventLoopDelay reports). */
  readonly wallMaxMs: number;
  /**
   * Longest CPU time the process used between two ticks (`process.cpuUsage`, getrusage: exact to
   * the µs, all threads): the loop's own work, whatever the host's scheduler did. An upper bound of
   * the longest task: two tasks (a sweep slice and a request) can fall between two ticks, and GC
   * helper threads' time counts too.
   */
  readonly cpuMaxMs: number;
  /**
   * Longest time the main thread waited for a CPU (runnable, not running) between two ticks, from
   * Linux's `/proc/thread-self/schedstat` (updated at context switches); NaN where it is missing.
   */
  readonly waitMaxMs: number;
  /** The wall gap of the tick with the longest on-CPU gap (shows whether that stall was felt). */
  readonly wallAtCpuMaxMs: number;
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
  private readonly buf = Buffer.alloc(128);
  private timer: NodeJS.Timeout | undefined;
  private last = { wall: 0, cpu: 0, wait: 0 };
  private stats = { ticks: 0, wallMaxMs: 0, cpuMaxMs: 0, waitMaxMs: 0, wallAtCpuMaxMs: 0 };

  constructor() {
    try {
      this.fd = openSync("/proc/thread-self/schedstat", "r");
    } catch {
      this.fd = -1; // not Linux: wall gaps only
    }
  }

  /** [ns of process CPU, ns the main thread waited for a CPU (NaN when unknown)]. */
  private read(): [number, number] {
    const u = process.cpuUsage();
    const cpu = (u.user + u.system) * 1000;
    if (this.fd < 0) return [cpu, Number.NaN];
    const n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    return [cpu, Number(this.buf.toString("latin1", 0, n).split(" ")[1])];
  }

  /** Starts ticking (resets the figures). */
  start(): void {
    this.stop();
    this.stats = { ticks: 0, wallMaxMs: 0, cpuMaxMs: 0, waitMaxMs: this.fd < 0 ? Number.NaN : 0, wallAtCpuMaxMs: 0 };
    const [cpu, wait] = this.read();
    this.last = { wall: performance.now(), cpu, wait };
    this.timer = setInterval(() => this.tick(), 1);
  }

  private tick(): void {
    const wall = performance.now();
    const [cpu, wait] = this.read();
    const s = this.stats;
    s.ticks++;
    const wallGap = wall - this.last.wall - 1;
    const cpuGap = (cpu - this.last.cpu) / 1e6;
    const waitGap = (wait - this.last.wait) / 1e6;
    if (wallGap > s.wallMaxMs) s.wallMaxMs = wallGap;
    if (cpuGap > s.cpuMaxMs) {
      s.cpuMaxMs = cpuGap;
      s.wallAtCpuMaxMs = wallGap + 1;
    }
    if (waitGap > s.waitMaxMs) s.waitMaxMs = waitGap;
    this.last = { wall, cpu, wait };
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
  }
}
