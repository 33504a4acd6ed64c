import { useEffect, useState } from "preact/hooks";
import type { ReplyHandle } from "../model/reply-handle.js";

/** Lines of a reply shown at first, and added by each "Show more". */
export const REPLY_PAGE_LINES = 500;

/**
 * A command's reply as redis-cli prints it — (nil), (integer) 1, "bulk" with binary escaped,
 * nested arrays indexed — as one block of text, a page of lines at a time: a reply of 100k
 * elements shows its first 500 lines at once, never all of them. The lines come from the
 * reply's handle (formatted off the main thread in server mode).
 */
export function ReplyView(props: { reply: ReplyHandle }) {
  const { reply } = props;
  const [lines, setLines] = useState<readonly string[]>(reply.first);
  const [want, setWant] = useState(reply.first.length);
  useEffect(() => {
    if (want <= lines.length) return;
    let alive = true;
    reply.lines(want).then((l) => alive && setLines(l));
    return () => {
      alive = false;
    };
  }, [reply, want]);
  return (
    <>
      <pre class={`reply r-${reply.kind}`}>{lines.join("\n")}</pre>
      {reply.total > lines.length && (
        <p class="reply-more">
          <span class="muted">
            {lines.length.toLocaleString("en")} of {reply.total.toLocaleString("en")} lines.
          </span>{" "}
          <button
            type="button"
            class="link"
            disabled={want > lines.length}
            onClick={() => setWant(lines.length + REPLY_PAGE_LINES * 2)}
          >
            Show {Math.min(REPLY_PAGE_LINES * 2, reply.total - lines.length).toLocaleString("en")} more
          </button>
        </p>
      )}
    </>
  );
}
