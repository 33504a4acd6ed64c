import { useMemo, useState } from "preact/hooks";

/** Height of one line, px (fixed, so only the lines in view are in the DOM). */
const LINE_PX = 18;
const VIEW_PX = 360;
const OVERSCAN = 20;

/**
 * Text cut into display lines: at each line break, and every `width` characters within a line.
 * Hex (`ff 00 …`) is cut every 48 characters: 16 bytes a line.
 */
export function displayLines(text: string, width: number): string[] {
  const out: string[] = [];
  for (const line of text.split("\n")) {
    if (line.length <= width) out.push(line);
    else for (let i = 0; i < line.length; i += width) out.push(line.slice(i, i + width).trimEnd());
  }
  return out;
}

/**
 * A big text shown read-only a screen at a time: only the lines in view are in the DOM, so a
 * 256 KiB value in hex (768k characters, 16k lines) opens at once, where a text box lays out all
 * of it on the main thread (0.2-0.5 s here). Hex lines start with their byte offset.
 */
export function VirtualText(props: { text: string; hex: boolean; label: string }) {
  const lines = useMemo(() => displayLines(props.text, props.hex ? 48 : 160), [props.text, props.hex]);
  const [top, setTop] = useState(0);
  const first = Math.max(0, Math.floor(top / LINE_PX) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((top + VIEW_PX) / LINE_PX) + OVERSCAN);
  return (
    <div
      class="virtual-text mono"
      role="document"
      aria-label={props.label}
      // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable)
      tabIndex={0}
      style={{ height: `${VIEW_PX}px` }}
      onScroll={(e) => setTop((e.currentTarget as HTMLDivElement).scrollTop)}
    >
      <div style={{ height: `${lines.length * LINE_PX}px`, position: "relative" }}>
        {lines.slice(first, last).map((line, j) => {
          const i = first + j;
          return (
            <div key={i} class="vline" style={{ transform: `translateY(${i * LINE_PX}px)` }}>
              {props.hex && <span class="offset">{(i * 16).toString(16).padStart(8, "0")} </span>}
              {line}
            </div>
          );
        })}
      </div>
    </div>
  );
}
