import { formatTtl, untilNextSecond } from "../model/format.js";

/**
 * The one timer of the console's countdowns: every second it rewrites the text of the TTL cells
 * that are in the DOM (the virtual list renders only visible rows), with no request and no
 * re-render, then calls `onTick` (which drops keys whose deadline passed).
 * Returns the function that stops it.
 */
export function startTtlTicker(root: ParentNode, onTick: (now: number) => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    const now = Date.now();
    for (const el of root.querySelectorAll<HTMLElement>("[data-deadline]")) {
      const text = formatTtl(Number(el.dataset.deadline), now);
      if (el.textContent !== text) el.textContent = text;
    }
    onTick(now);
    timer = setTimeout(tick, untilNextSecond(Date.now()));
  };
  timer = setTimeout(tick, untilNextSecond(Date.now()));
  return () => clearTimeout(timer);
}
