/** One timed segment of one workload against one target. */
export interface Sample {
  /** Workload group (e.g. "in-process", "unary"). */
  readonly group: string;
  /** Operation (e.g. "GET"). */
  readonly op: string;
  /** What was measured (e.g. "core execSync", "redis ioredis"). */
  readonly target: string;
  /** Round number (0-based): targets run A B A B … across rounds. */
  readonly round: number;
  /** Operations completed. */
  readonly ops: number;
  /** Wall time in seconds. */
  readonly seconds: number;
  /** Server CPU milliseconds spent during the segment (utime + stime), when there is a server. */
  readonly serverCpuMs?: number;
  /** Errors seen (failed calls are not counted in `ops`). */
  readonly errors?: number;
}

/** Median, min and max of a list of numbers. */
export interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

/** Median (mean of the two middle values for even counts), min and max. */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  return { median, min: s[0] as number, max: s[s.length - 1] as number, n: s.length };
}

/** A row of the summary: one (group, op, target) with its spreads over rounds. */
export interface Row {
  readonly group: string;
  readonly op: string;
  readonly target: string;
  readonly opsPerSec: Spread;
  /** Server CPU microseconds per operation, when measured. */
  readonly cpuUsPerOp?: Spread;
  readonly errors: number;
}

/** Groups samples by (group, op, target), in first-seen order. */
export function summarize(samples: readonly Sample[]): Row[] {
  const groups = new Map<string, Sample[]>();
  for (const s of samples) {
    const k = `${s.group}\u0000${s.op}\u0000${s.target}`;
    let list = groups.get(k);
    if (!list) groups.set(k, (list = []));
    list.push(s);
  }
  const rows: Row[] = [];
  for (const list of groups.values()) {
    const first = list[0] as Sample;
    const ok = list.filter((s) => s.ops > 0 && s.seconds > 0);
    const cpu = ok.filter((s) => s.serverCpuMs !== undefined);
    rows.push({
      group: first.group,
      op: first.op,
      target: first.target,
      opsPerSec: spread(ok.map((s) => s.ops / s.seconds)),
      cpuUsPerOp: cpu.length > 0 ? spread(cpu.map((s) => ((s.serverCpuMs as number) * 1000) / s.ops)) : undefined,
      errors: list.reduce((n, s) => n + (s.errors ?? 0), 0),
    });
  }
  return rows;
}

/** Formats a rate compactly: 1.23M, 45.6k, 789. */
export function formatRate(n: number): string {
  if (!Number.isFinite(n)) return "–";
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(2)}k`;
  return n.toFixed(n >= 100 ? 0 : 1);
}

/** Formats a number with a fixed number of significant digits. */
export function formatNumber(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return "–";
  if (n === 0) return "0";
  return Number(n.toPrecision(digits)).toString();
}

/** A plain-text (and Markdown) table. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}
