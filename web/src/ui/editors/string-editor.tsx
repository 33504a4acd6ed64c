import { useEffect, useState } from "preact/hooks";
import { fromHex, isText, prettyJson, text, toHex, utf8 } from "../../model/bytes.js";
import { formatBytes } from "../../model/format.js";
import { errorText, useConsole } from "../context.js";

/** Strings longer than this show their first part only, read-only. */
const MAX_EDIT_BYTES = 256 * 1024;

type Mode = "text" | "json" | "hex";

/** A string value as text, pretty JSON or hex; saving keeps the key's TTL (SET … KEEPTTL). */
export function StringEditor(props: { keyName: string; version: number }) {
  const { clients, readOnly, notify } = useConsole();
  const [value, setValue] = useState<Uint8Array | null>(null);
  const [truncated, setTruncated] = useState(0);
  const [mode, setMode] = useState<Mode>("text");
  const [draft, setDraft] = useState("");
  const [dirty, setDirty] = useState(false);

  const show = (bytes: Uint8Array, m: Mode) => {
    if (m === "hex") return toHex(bytes);
    const t = text(bytes);
    return m === "json" ? (prettyJson(t) ?? t) : t;
  };

  useEffect(() => {
    let alive = true;
    (async () => {
      const len = Number((await clients.strings.strLen({ key: props.keyName })).length);
      let bytes: Uint8Array;
      if (len > MAX_EDIT_BYTES) {
        bytes = (await clients.strings.getRange({ key: props.keyName, start: 0n, end: BigInt(MAX_EDIT_BYTES - 1) }))
          .value;
      } else {
        bytes = (await clients.strings.get({ key: props.keyName })).value ?? new Uint8Array();
      }
      if (!alive) return;
      const m: Mode = !isText(bytes) ? "hex" : prettyJson(text(bytes)) !== null ? "json" : "text";
      setTruncated(len > MAX_EDIT_BYTES ? len : 0);
      setValue(bytes);
      if (!dirty) {
        setMode(m);
        setDraft(show(bytes, m));
      }
    })().catch((e) => alive && notify(errorText(e), "error"));
    return () => {
      alive = false;
    };
  }, [props.keyName, props.version]);

  const switchMode = (m: Mode) => {
    try {
      const bytes = mode === "hex" ? fromHex(draft) : utf8(draft);
      setMode(m);
      setDraft(show(bytes, m));
    } catch (e) {
      notify((e as Error).message, "error");
    }
  };

  const save = async () => {
    try {
      let bytes = mode === "hex" ? fromHex(draft) : utf8(draft);
      if (mode === "json") {
        const pretty = prettyJson(draft);
        if (pretty === null) throw new Error("not valid JSON (switch to Text to save it as is)");
        bytes = utf8(JSON.stringify(JSON.parse(draft)));
      }
      await clients.strings.set({ key: props.keyName, value: bytes, expiry: { case: "keepTtl", value: true } });
      setDirty(false);
      notify("Saved");
    } catch (e) {
      notify(errorText(e), "error");
    }
  };

  if (value === null) return <p class="muted">Loading…</p>;
  const locked = readOnly || truncated > 0;
  return (
    <section class="string-editor" aria-label="String value">
      <div class="tabs" role="radiogroup" aria-label="View as">
        {(["text", "json", "hex"] as const).map((m) => (
          <button key={m} type="button" role="radio" aria-checked={mode === m} onClick={() => switchMode(m)}>
            {m === "json" ? "JSON" : m === "hex" ? "Hex" : "Text"}
          </button>
        ))}
      </div>
      {truncated > 0 && (
        <p class="muted">
          Showing the first {formatBytes(MAX_EDIT_BYTES)} of {formatBytes(truncated)} (read-only).
        </p>
      )}
      <textarea
        aria-label="Value"
        class="mono"
        readOnly={locked}
        value={draft}
        spellcheck={false}
        onInput={(e) => {
          setDraft((e.currentTarget as HTMLTextAreaElement).value);
          setDirty(true);
        }}
      />
      {!locked && (
        <div class="row">
          <button type="button" class="primary" disabled={!dirty} onClick={save}>
            Save value
          </button>
          {dirty && (
            <button
              type="button"
              onClick={() => {
                setDraft(show(value, mode));
                setDirty(false);
              }}
            >
              Revert
            </button>
          )}
        </div>
      )}
    </section>
  );
}
