import { useEffect, useState } from "preact/hooks";
import { execute, integerOf } from "../../api/raw-reply.js";
import { type BytesDraft, bytesOf, draftOf, ELEMENT_VIEWS } from "../../model/bytes-draft.js";
import { formatBytes, formatCount } from "../../model/format.js";
import { BytesField } from "../bytes-field.js";
import { errorText, useConsole } from "../context.js";
import { saveBytes } from "../save-bytes.js";

/** Byte 4 of the header: 0 dense (12,288 bytes of 6-bit registers), 1 sparse (run-length). */
const ENCODINGS = ["dense", "sparse"];

const emptyDraft = (): BytesDraft => ({ mode: "text", text: "" });

/**
 * A HyperLogLog: its estimate (PFCOUNT), encoding (sparse or dense, from its header) and size;
 * elements added with PFADD (each as text or hex); its raw bytes in hex, read-only — never
 * editable as text, since any edit of the registers corrupts the value.
 */
export function HllView(props: { keyName: string; version: number; onChanged: () => void }) {
  const { clients, readOnly, notify } = useConsole();
  const key = props.keyName;
  const [state, setState] = useState<{ count: number; bytes: Uint8Array } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [adding, setAdding] = useState<BytesDraft[]>([emptyDraft()]);
  const [raw, setRaw] = useState<BytesDraft | null>(null);

  useEffect(() => {
    let alive = true;
    (async () => {
      const count = integerOf(await execute(clients, "PFCOUNT", key)) ?? 0;
      const bytes = (await clients.strings.get({ key })).value ?? new Uint8Array();
      if (!alive) return;
      setState({ count, bytes });
      setRaw(draftOf(bytes, ["hex"], "hex"));
      setError(null);
    })().catch((e) => alive && setError(errorText(e)));
    return () => {
      alive = false;
    };
  }, [key, props.version, reload]);

  if (error !== null && state === null)
    return (
      <p class="error" role="alert">
        Could not read the HyperLogLog: {error}
      </p>
    );
  if (state === null || raw === null) return <p class="muted">Loading…</p>;
  const encoding = ENCODINGS[state.bytes[4] ?? -1] ?? "unknown";
  return (
    <section class="hll-view" aria-label="HyperLogLog">
      <h3 data-testid="hll-summary">
        HyperLogLog — ~{formatCount(state.count)} distinct {state.count === 1 ? "element" : "elements"}
      </h3>
      <dl class="facts">
        <dt>Estimate</dt>
        <dd>PFCOUNT, standard error 0.81%</dd>
        <dt>Encoding</dt>
        <dd data-testid="hll-encoding">{encoding}</dd>
        <dt>Size</dt>
        <dd>{formatBytes(state.bytes.length)}</dd>
      </dl>
      {!readOnly && (
        <form
          class="add-row"
          aria-label="Add elements"
          onSubmit={async (e) => {
            e.preventDefault();
            try {
              const elements = adding.map(bytesOf);
              const changed = integerOf(await execute(clients, "PFADD", key, ...elements)) === 1;
              notify(
                changed
                  ? `Added ${elements.length} ${elements.length === 1 ? "element" : "elements"}: the estimate changed`
                  : "Added: the estimate did not change (already counted)",
              );
              setAdding([emptyDraft()]);
              setReload((n) => n + 1);
              props.onChanged();
            } catch (err) {
              notify(errorText(err), "error");
            }
          }}
        >
          {adding.map((d, i) => (
            <BytesField
              key={i}
              label={`Element ${i + 1}`}
              placeholder="element"
              views={ELEMENT_VIEWS}
              draft={d}
              onDraft={(next) => setAdding(adding.map((x, j) => (j === i ? next : x)))}
              onError={(m) => notify(m, "error")}
            />
          ))}
          <button type="button" onClick={() => setAdding([...adding, emptyDraft()])}>
            + Element
          </button>
          <button type="submit" class="primary">
            Add (PFADD)
          </button>
        </form>
      )}
      <p class="muted" role="note">
        The raw bytes are the HyperLogLog's registers: read-only here (a text edit would corrupt it). Add elements with
        PFADD; merge with PFMERGE in the command bar.
      </p>
      <BytesField
        label="Raw bytes (hex)"
        multiline
        readOnly
        views={["hex"]}
        draft={raw}
        onDraft={() => {}}
        onError={(m) => notify(m, "error")}
      />
      <div class="row">
        <button type="button" onClick={() => saveBytes(state.bytes, key)}>
          Download
        </button>
      </div>
    </section>
  );
}
