import { useEffect, useRef, useState } from "preact/hooks";
import type UPlotChart from "uplot";
import type { ServerInfo } from "../../../shared/gen/memorabilia/v1/server_service_pb.js";
import { formatBytes, formatCount } from "../model/format.js";
import { errorText, useConsole } from "./context.js";

/** Seconds of history the chart keeps. */
const WINDOW = 120;

/**
 * The server panel: keys, keys with TTL, memory, ops/s, expirations and sweep stats from the
 * InfoStream RPC (one snapshot a second), and a live uPlot chart of ops/s and keys.
 */
export function ServerPanel(props: { theme?: string }) {
  const { clients } = useConsole();
  const [info, setInfo] = useState<ServerInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const chartEl = useRef<HTMLDivElement>(null);
  /** The history, kept across charts (a theme change draws a new chart of the same data). */
  const series = useRef<[number[], number[], number[]]>([[], [], []]);
  const plotRef = useRef<UPlotChart | null>(null);

  // The chart, in the theme's colours: drawn again when the theme changes.
  useEffect(() => {
    let plot: UPlotChart | null = null;
    let gone = false;
    const ro = new ResizeObserver(() => {
      if (plot && chartEl.current) plot.setSize({ width: chartEl.current.clientWidth, height: 220 });
    });
    (async () => {
      const [{ default: UPlot }] = await Promise.all([import("uplot"), import("uplot/dist/uPlot.min.css")]);
      const el = chartEl.current;
      if (!el || gone) return;
      const css = getComputedStyle(document.documentElement);
      const ops = css.getPropertyValue("--accent").trim() || "#3b82f6";
      const keys = css.getPropertyValue("--accent-2").trim() || "#f59e0b";
      const text = css.getPropertyValue("--muted").trim() || "#666";
      el.dataset.colours = `${ops} ${keys} ${text}`;
      // Wide enough for the widest tick label, measured in the axis's own font (1,000,000 keys was
      // clipped at the default 50 px; a per-character guess left 2 px at 12 px and clips at larger
      // fonts): ticks, gap, the label, and a margin. test/e2e/chart-labels.spec.ts reads the pixels.
      const fit = (self: UPlotChart, values: string[] | null, axisIdx: number, cycleNum: number) => {
        const a = self.axes[axisIdx] as UPlotChart.Axis & { _size?: number };
        if (cycleNum > 1 && a._size !== undefined) return a._size;
        let widest = 0;
        const font = Array.isArray(a.font) ? a.font[0] : a.font;
        if (font) self.ctx.font = font;
        for (const v of values ?? []) widest = Math.max(widest, self.ctx.measureText(String(v)).width);
        const size = (a.ticks?.size ?? 10) + (a.gap ?? 5) + widest / devicePixelRatio + 6;
        return Math.max(40, Math.ceil(size));
      };
      const axis = {
        stroke: text,
        grid: { stroke: "rgba(128,128,128,0.15)" },
        ticks: { stroke: "rgba(128,128,128,0.3)" },
      };
      plot = new UPlot(
        {
          width: el.clientWidth || 600,
          height: 220,
          series: [
            {},
            { label: "ops/s", stroke: ops, width: 2, scale: "ops" },
            { label: "keys", stroke: keys, width: 2, scale: "keys" },
          ],
          axes: [axis, { ...axis, scale: "ops", size: fit }, { ...axis, scale: "keys", side: 1, size: fit }],
          scales: { x: { time: true } },
        },
        series.current,
        el,
      );
      plotRef.current = plot;
      ro.observe(el);
    })().catch(() => {});
    return () => {
      gone = true;
      ro.disconnect();
      plot?.destroy();
      if (plotRef.current === plot) plotRef.current = null;
    };
  }, [props.theme]);

  useEffect(() => {
    const abort = new AbortController();
    (async () => {
      try {
        for await (const res of clients.server.infoStream({ intervalMs: 1000 }, { signal: abort.signal })) {
          const i = res.info;
          if (!i) continue;
          setInfo(i);
          setError(null);
          const s = series.current;
          s[0].push(Number(i.atMs) / 1000);
          s[1].push(i.opsPerSec);
          s[2].push(Number(i.keys));
          if (s[0].length > WINDOW) for (const x of s) x.shift();
          plotRef.current?.setData(s);
        }
      } catch (e) {
        if (!abort.signal.aborted) setError(errorText(e));
      }
    })();
    return () => abort.abort();
  }, [clients]);

  const sweep = info?.sweep;
  const mem = info?.memory;
  const stats: [string, string][] = info
    ? [
        ["Keys", formatCount(info.keys)],
        ["Keys with TTL", formatCount(info.keysWithTtl)],
        ["Ops/s", info.opsPerSec.toFixed(0)],
        ["Expired keys", formatCount(info.expiredKeys)],
        ["Memory (heap)", mem?.heapUsedBytes !== undefined ? formatBytes(Number(mem.heapUsedBytes)) : "—"],
        ["Memory (RSS)", mem?.rssBytes !== undefined ? formatBytes(Number(mem.rssBytes)) : "—"],
        ["Hits / misses", `${formatCount(info.hits)} / ${formatCount(info.misses)}`],
        ["Commands", formatCount(info.commands)],
        ["Open streams", formatCount(info.openStreams)],
        ["Sweep runs", sweep ? formatCount(sweep.runs) : "—"],
        ["Sweep expired", sweep ? formatCount(sweep.expiredKeys) : "—"],
        ["Longest sweep slice", sweep ? `${sweep.longestSliceMs.toFixed(2)} ms` : "—"],
        ["Uptime", `${Math.floor(Number(info.uptimeMs) / 1000)} s`],
        ["Version", info.version],
      ]
    : [];
  return (
    <section class="server-panel" aria-label="Server">
      <h2>Server</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!info && !error && <p class="muted">Waiting for the first snapshot…</p>}
      <dl class="stats">
        {stats.map(([k, v]) => (
          <div key={k} class="stat">
            <dt>{k}</dt>
            <dd data-stat={k}>{v}</dd>
          </div>
        ))}
      </dl>
      <figure class="chart">
        <div ref={chartEl} role="img" aria-label="Operations per second and keys over the last two minutes" />
        <figcaption class="muted">ops/s (left) and keys (right), last {WINDOW} s</figcaption>
      </figure>
    </section>
  );
}
