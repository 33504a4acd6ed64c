import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { formatBytes, formatCount, formatSize, formatTtl, typeName } from "../model/format.js";
import type { ListLine } from "../model/tree.js";
import type { KeysAction } from "./bulk-delete-dialog.js";

/** Height of one line, px (fixed, so the list can be virtual). */
export const LINE_HEIGHT = 28;
const OVERSCAN = 8;

/** What the list reports up. */
export interface KeyListProps {
  readonly lines: readonly ListLine[];
  readonly selected: string | null;
  readonly onSelect: (key: string) => void;
  readonly onOpen: (key: string) => void;
  readonly onToggleFolder: (prefix: string, open?: boolean) => void;
  /** Loads more of an open folder's keys (its "more" line). */
  readonly onFolderMore: (prefix: string) => void;
  /**
   * Called when the user scrolls near the end of the loaded lines (load the next scan page); not
   * while the lines fit the view (a tree of closed folders never scans the whole keyspace).
   */
  readonly onNearEnd: () => void;
  /** Called with the keys currently rendered (for refreshing what the user sees first). */
  readonly onVisible: (keys: string[]) => void;
  readonly onDelete?: (key: string) => void;
  /** Delete, or set a TTL on, every key under a folder's prefix (absent when read-only). */
  readonly onFolderAction?: (prefix: string, action: KeysAction) => void;
}

const lineId = (line: ListLine) =>
  line.kind === "key" ? `k:${line.row.key}` : line.kind === "more" ? `m:${line.prefix}` : `f:${line.prefix}`;

/**
 * The key list: a virtual grid (only the visible lines are in the DOM) with columns key, type,
 * TTL and size; arrow keys, Page Up/Down, Home/End move, Enter opens, Left/Right fold the tree.
 */
export function KeyList(props: KeyListProps) {
  const { lines, selected } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const [cursorId, setCursorId] = useState<string | null>(null);

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    setHeight(el.clientHeight);
    return () => ro.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / LINE_HEIGHT) - OVERSCAN);
  const last = Math.min(lines.length, Math.ceil((scrollTop + height) / LINE_HEIGHT) + OVERSCAN);
  const visible = lines.slice(first, last);

  useEffect(() => {
    const rowsInView = Math.ceil(height / LINE_HEIGHT);
    // Only a scroll asks for more: lines that merely end within a screen of the view (an opened
    // folder's first keys) must not start the next page of the whole keyspace's scan.
    if (scrollTop > 0 && lines.length > rowsInView && last >= lines.length - rowsInView) props.onNearEnd();
    props.onVisible(visible.flatMap((l) => (l.kind === "key" ? [l.row.key] : [])));
  });

  const activeId = cursorId ?? (selected !== null ? `k:${selected}` : null);
  let activeIndex = activeId === null ? -1 : lines.findIndex((l) => lineId(l) === activeId);

  const moveTo = (index: number) => {
    if (lines.length === 0) return;
    const i = Math.max(0, Math.min(lines.length - 1, index));
    const line = lines[i] as ListLine;
    setCursorId(lineId(line));
    if (line.kind === "key") props.onSelect(line.row.key);
    const el = scroller.current;
    if (el) {
      const top = i * LINE_HEIGHT;
      if (top < el.scrollTop) el.scrollTop = top;
      else if (top + LINE_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + LINE_HEIGHT - el.clientHeight;
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const page = Math.max(1, Math.floor(height / LINE_HEIGHT) - 1);
    if (activeIndex < 0 && lines.length > 0 && ["ArrowDown", "ArrowUp", "PageDown", "PageUp"].includes(e.key)) {
      activeIndex = -1;
    }
    const line = activeIndex >= 0 ? lines[activeIndex] : undefined;
    switch (e.key) {
      case "ArrowDown":
        moveTo(activeIndex + 1);
        break;
      case "ArrowUp":
        moveTo(activeIndex - 1);
        break;
      case "PageDown":
        moveTo(activeIndex + page);
        break;
      case "PageUp":
        moveTo(activeIndex - page);
        break;
      case "Home":
        moveTo(0);
        break;
      case "End":
        moveTo(lines.length - 1);
        break;
      case "ArrowRight":
        if (line?.kind === "folder") props.onToggleFolder(line.prefix, true);
        break;
      case "ArrowLeft":
        if (line?.kind === "folder") props.onToggleFolder(line.prefix, false);
        break;
      case "Enter":
      case " ":
        if (line?.kind === "folder") props.onToggleFolder(line.prefix);
        else if (line?.kind === "more") props.onFolderMore(line.prefix);
        else if (line?.kind === "key") props.onOpen(line.row.key);
        break;
      case "Delete":
        if (line?.kind === "key" && props.onDelete) props.onDelete(line.row.key);
        else if (line?.kind === "folder" && props.onFolderAction) props.onFolderAction(line.prefix, "delete");
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const now = Date.now();
  return (
    <div
      class="key-list"
      role="grid"
      aria-label="Keys"
      aria-rowcount={lines.length + 1}
      aria-activedescendant={activeIndex >= first && activeIndex < last ? `line-${activeIndex}` : undefined}
      tabIndex={0}
      onKeyDown={onKeyDown}
    >
      <div role="rowgroup">
        <div class="key-list-head" role="row" aria-rowindex={1}>
          <span class="c-key" role="columnheader">
            Key
          </span>
          <span class="c-type" role="columnheader">
            Type
          </span>
          <span class="c-ttl" role="columnheader">
            TTL
          </span>
          <span class="c-size" role="columnheader">
            Size
          </span>
          <span class="c-mem" role="columnheader">
            Memory
          </span>
        </div>
      </div>
      <div
        ref={scroller}
        class="key-list-scroll"
        role="rowgroup"
        // Scrollable, so reachable by keyboard too (axe: scrollable-region-focusable, seen once a
        // keyspace is longer than the pane); the grid's own arrow keys move the selection.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard (axe scrollable-region-focusable)
        tabIndex={0}
        onScroll={(e) => setScrollTop((e.currentTarget as HTMLDivElement).scrollTop)}
      >
        <div style={{ height: `${lines.length * LINE_HEIGHT}px`, position: "relative" }}>
          {visible.map((line, j) => {
            const i = first + j;
            const style = { transform: `translateY(${i * LINE_HEIGHT}px)`, paddingLeft: `${8 + line.depth * 16}px` };
            const active = i === activeIndex;
            if (line.kind === "more") {
              const p = line.progress;
              return (
                <div
                  key={lineId(line)}
                  id={`line-${i}`}
                  class={`line more${active ? " active" : ""}`}
                  role="row"
                  aria-rowindex={i + 2}
                  style={style}
                  onClick={() => {
                    setCursorId(lineId(line));
                    props.onFolderMore(line.prefix);
                  }}
                >
                  <span class="c-key" role="gridcell">
                    {p.loading ? "Scanning" : "Load more"} in {line.prefix}{" "}
                    <span class="muted">
                      (scanned ~{formatCount(p.scanned)} of {formatCount(p.total)} keys)
                    </span>
                  </span>
                </div>
              );
            }
            if (line.kind === "folder") {
              return (
                <div
                  key={lineId(line)}
                  id={`line-${i}`}
                  class={`line folder${active ? " active" : ""}`}
                  role="row"
                  aria-rowindex={i + 2}
                  aria-expanded={line.open}
                  aria-level={line.depth + 1}
                  style={style}
                  onClick={() => {
                    setCursorId(lineId(line));
                    props.onToggleFolder(line.prefix);
                  }}
                >
                  <span class="c-key" role="gridcell">
                    <span aria-hidden="true" class="caret">
                      {line.open ? "▾" : "▸"}
                    </span>{" "}
                    {line.label}
                  </span>
                  <span class="c-type" role="gridcell">
                    folder
                  </span>
                  <span class="c-ttl" role="gridcell" />
                  <span class="c-size" role="gridcell">
                    {line.count.toLocaleString("en")}
                    {line.more ? "+" : ""} {line.count === 1 && !line.more ? "key" : "keys"}
                  </span>
                  <span class="c-mem folder-actions" role="gridcell">
                    {props.onFolderAction && (
                      <>
                        <button
                          type="button"
                          class="link"
                          tabIndex={-1}
                          aria-label={`Set a TTL on the keys in ${line.prefix}`}
                          title={`Set a TTL on every key in ${line.prefix}`}
                          onClick={(e) => {
                            e.stopPropagation();
                            props.onFolderAction?.(line.prefix, "expire");
                          }}
                        >
                          TTL
                        </button>
                        <button
                          type="button"
                          class="link danger-text"
                          tabIndex={-1}
                          aria-label={`Delete the keys in ${line.prefix}`}
                          title={`Delete every key in ${line.prefix}`}
                          onClick={(e) => {
                            e.stopPropagation();
                            props.onFolderAction?.(line.prefix, "delete");
                          }}
                        >
                          Delete
                        </button>
                      </>
                    )}
                  </span>
                </div>
              );
            }
            const row = line.row;
            return (
              <div
                key={lineId(line)}
                id={`line-${i}`}
                class={`line key${row.key === selected ? " selected" : ""}${active ? " active" : ""}${row.liveAt ? " live" : ""}`}
                role="row"
                aria-rowindex={i + 2}
                aria-selected={row.key === selected}
                data-key={row.key}
                style={style}
                onClick={() => {
                  setCursorId(lineId(line));
                  props.onOpen(row.key);
                }}
              >
                <span class="c-key" role="gridcell" title={row.key}>
                  {line.label}
                </span>
                <span class={`c-type t-${typeName(row.type)}`} role="gridcell">
                  {typeName(row.type)}
                </span>
                <span class="c-ttl" role="gridcell" data-deadline={row.deadline ?? undefined}>
                  {formatTtl(row.deadline, now)}
                </span>
                <span class="c-size" role="gridcell">
                  {row.size < 0 ? "…" : formatSize(row.type, row.size)}
                </span>
                <span class="c-mem" role="gridcell" data-bytes={row.memory >= 0 ? row.memory : undefined}>
                  {row.memory === -1 ? "…" : row.memory === -2 ? "?" : formatBytes(row.memory)}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
