import type { Reply } from "../../../shared/gen/memorabilia/v1/command_service_pb.js";
import { preview } from "../model/bytes.js";

/** A command's reply, rendered by its kind as redis-cli shows it: (nil), (integer) 1, "bulk", 1) … */
export function ReplyView(props: { reply: Reply | undefined }) {
  const r = props.reply;
  if (!r) return <span class="r-nil">(no reply)</span>;
  switch (r.kind.case) {
    case "nil":
      return <span class="r-nil">(nil)</span>;
    case "integer":
      return <span class="r-int">(integer) {r.kind.value.toString()}</span>;
    case "double":
      return <span class="r-double">(double) {String(r.kind.value)}</span>;
    case "status":
      return <span class="r-status">{r.kind.value}</span>;
    case "bulk":
      return <span class="r-bulk">"{preview(r.kind.value, 4096)}"</span>;
    case "error":
      return <span class="r-error">(error) {r.kind.value.message}</span>;
    case "array": {
      const els = r.kind.value.elements;
      if (els.length === 0) return <span class="r-nil">(empty array)</span>;
      return (
        <ol class="r-array" start={1}>
          {els.map((el, i) => (
            <li key={i}>
              <ReplyView reply={el} />
            </li>
          ))}
        </ol>
      );
    }
    default:
      return <span class="r-nil">(unknown reply)</span>;
  }
}
