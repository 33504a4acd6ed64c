import { useEffect, useState } from "preact/hooks";
import { ALL_VIEWS, type BytesDraft, bytesOf, draftOf } from "../../model/bytes-draft.js";
import { formatBytes } from "../../model/format.js";
import { BytesField } from "../bytes-field.js";
import { errorText, useConsole } from "../context.js";

/** Strings longer than this show their first part only, read-only. */
const MAX_EDIT_BYTES = 256 * 1024;

/** A string value as text, pretty JSON or hex; saving keeps the key's TTL (SET … KEEPTTL). */
export function StringEditor(props: { keyName: string; version: number }) {
  const { clients, readOnly, notify } = useConsole();
  const [value, setValue] = useState<Uint8Array | null>(null);
  const [truncated, setTruncated] = useState(0);
  const [draft, setDraft] = useState<BytesDraft>({ mode: "text", text: "" });
  const [dirty, setDirty] = useState(false);

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
      setTruncated(len > MAX_EDIT_BYTES ? len : 0);
      setValue(bytes);
      if (!dirty) setDraft(draftOf(bytes, ALL_VIEWS));
    })().catch((e) => alive && notify(errorText(e), "error"));
    return () => {
      alive = false;
    };
  }, [props.keyName, props.version]);

  const save = async () => {
    try {
      const bytes = bytesOf(draft);
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
      {truncated > 0 && (
        <p class="muted">
          Showing the first {formatBytes(MAX_EDIT_BYTES)} of {formatBytes(truncated)} (read-only).
        </p>
      )}
      <BytesField
        label="Value"
        multiline
        readOnly={locked}
        views={ALL_VIEWS}
        draft={draft}
        onDraft={(d) => {
          // Switching views alone is not an edit: the bytes stay the same.
          if (d.mode === draft.mode) setDirty(true);
          setDraft(d);
        }}
        onError={(message) => notify(message, "error")}
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
                setDraft(draftOf(value, ALL_VIEWS, draft.mode));
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
