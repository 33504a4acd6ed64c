import { useEffect, useState } from "preact/hooks";
import { execute } from "../../api/raw-reply.js";
import { errorText, useConsole } from "../context.js";
import { BitmapView } from "./bitmap-view.js";
import { HllView } from "./hll-view.js";
import { StringEditor } from "./string-editor.js";
import "./string-views.css";

/** The first bytes of every HyperLogLog value (Redis's `HYLL` magic). */
const HLL_MAGIC = [0x48, 0x59, 0x4c, 0x4c];

type Kind = { readonly kind: "hll" } | { readonly kind: "plain"; readonly notHll?: string };

/**
 * A string key: a HyperLogLog (the `HYLL` header, and PFCOUNT accepts it) gets its own view and
 * is never offered as editable text (an edit would corrupt it); any other string shows its value
 * (Text, JSON, Hex) or, on request, its bits (a bitmap: SETBIT/BITCOUNT).
 */
export function StringViews(props: { keyName: string; version: number; onChanged: () => void }) {
  const { clients } = useConsole();
  const [kind, setKind] = useState<Kind | null>(null);
  const [view, setView] = useState<"value" | "bits">("value");
  const key = props.keyName;
  useEffect(() => {
    let alive = true;
    (async (): Promise<Kind> => {
      const head = (await clients.strings.getRange({ key, start: 0n, end: 3n })).value;
      if (head.length < 4 || HLL_MAGIC.some((b, i) => head[i] !== b)) return { kind: "plain" };
      try {
        await execute(clients, "PFCOUNT", key);
        return { kind: "hll" };
      } catch (e) {
        return { kind: "plain", notHll: errorText(e) };
      }
    })().then(
      (k) => alive && setKind(k),
      () => alive && setKind({ kind: "plain" }),
    );
    return () => {
      alive = false;
    };
  }, [key, props.version]);

  if (kind === null) return <p class="muted">Loading…</p>;
  if (kind.kind === "hll") return <HllView keyName={key} version={props.version} onChanged={props.onChanged} />;
  return (
    <>
      {kind.notHll && (
        <p class="notice" role="note">
          This value starts like a HyperLogLog but is not a valid one ({kind.notHll}): shown as a plain string.
        </p>
      )}
      <div class="tabs string-views" role="radiogroup" aria-label="Show as">
        <button type="button" role="radio" aria-checked={view === "value"} onClick={() => setView("value")}>
          Value
        </button>
        <button type="button" role="radio" aria-checked={view === "bits"} onClick={() => setView("bits")}>
          Bits (bitmap)
        </button>
      </div>
      {view === "value" ? (
        <StringEditor keyName={key} version={props.version} />
      ) : (
        <BitmapView keyName={key} version={props.version} onChanged={props.onChanged} />
      )}
    </>
  );
}
