import { useMemo, useState } from "preact/hooks";
import type { Reply } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";
import { countLines, takeLines } from "../model/reply-lines.js";

/** Lines of a reply shown at first, and added by each "Show more". */
export const REPLY_PAGE_LINES = 500;

/**
 * A command's reply as redis-cli prints it — (nil), (integer) 1, "bulk" with binary escaped,
 * nested arrays indexed — as one block of text, a page of lines at a time: a reply of 100k
 * elements shows its first 500 lines at once, never all of them.
 */
export function ReplyView(props: { reply: Reply | undefined }) {
  const [shown, setShown] = useState(REPLY_PAGE_LINES);
  const total = useMemo(() => countLines(props.reply), [props.reply]);
  const lines = useMemo(() => takeLines(props.reply, shown), [props.reply, shown]);
  const kind = props.reply?.kind.case ?? "nil";
  return (
    <>
      <pre class={`reply r-${kind}`}>{lines.join("\n")}</pre>
      {total > lines.length && (
        <p class="reply-more">
          <span class="muted">
            {lines.length.toLocaleString("en")} of {total.toLocaleString("en")} lines.
          </span>{" "}
          <button type="button" class="link" onClick={() => setShown(shown + REPLY_PAGE_LINES * 2)}>
            Show {Math.min(REPLY_PAGE_LINES * 2, total - lines.length).toLocaleString("en")} more
          </button>
        </p>
      )}
    </>
  );
}
