import { useEffect, useRef, useState } from "preact/hooks";
import type { StreamEntry } from "../../../../shared/gen/memorabilia/v1/streams_service_pb.js";
import { streamsOf } from "../../api/streams-client.js";
import { preview } from "../../model/bytes.js";
import { type BytesDraft, bytesOf, ELEMENT_VIEWS } from "../../model/bytes-draft.js";
import { formatCount } from "../../model/format.js";
import { boundOf, compareStreamIds, streamIdTime } from "../../model/stream-id.js";
import { BytesField } from "../bytes-field.js";
import { errorText, useConsole } from "../context.js";
import { StreamGroups } from "./stream-groups.js";
import { BytesView, Confirm, useThrottled } from "./view-kit.js";
import "./stream-view.css";

/** Entries per page (one XRANGE/XREVRANGE of PAGE + 1: the extra one says whether more follow). */
export const STREAM_PAGE = 50;
/** The live tail re-reads the newest page at most this often, however fast the stream grows. */
const TAIL_MS = 500;
/**
 * Bytes of entries one page read aims at. Entries may be big (a 256 KiB value each: 51 of them
 * were a 13 MB reply, 4.5 s to show and a 727 ms main-thread task), so a page holds fewer of them:
 * the first read of a view takes FIRST_READ entries and then as many more as fit this budget at
 * their size; later reads as many as fit at the size of the entries last read (at most 50).
 */
const PAGE_BYTES = 512 * 1024;
const FIRST_READ = 5;
/** Characters of an entry's fields shown in its row (the entry view shows them all, exactly). */
const SUMMARY = 160;

type Order = "newest" | "oldest";

interface Page {
  readonly entries: readonly StreamEntry[];
  /** The bound of the next page (exclusive `(id`), or null at the end. */
  readonly next: string | null;
}

/** The bytes of entries' IDs, fields and values. */
function sizeOf(entries: readonly StreamEntry[]): number {
  let n = 0;
  for (const e of entries) {
    n += e.id.length;
    for (const f of e.fields) n += f.field.length + f.value.length + 4;
  }
  return n;
}

/** One line of an entry's fields for its row: `field=value …`, binary as hex, cut short. */
function summary(entry: StreamEntry): string {
  let s = "";
  for (const f of entry.fields) {
    if (s.length > SUMMARY) break;
    s += `${s ? "  " : ""}${preview(f.field, 60)}=${preview(f.value, 80)}`;
  }
  return s.length > SUMMARY ? `${s.slice(0, SUMMARY)}…` : s;
}

/**
 * A stream: its entries newest first (XREVRANGE) or oldest first (XRANGE), a page at a time from
 * any ID or time, each entry's fields and values shown exactly (read-only: entries are
 * immutable); a live tail of the newest page; XADD with fields as bytes, XDEL and XTRIM with
 * confirmation; and the consumer groups.
 */
export function StreamView(props: { keyName: string; version: number; onChanged: () => void }) {
  const { clients, readOnly, notify } = useConsole();
  const streams = streamsOf(clients);
  const key = props.keyName;
  const [order, setOrder] = useState<Order>("newest");
  /** Bounds of the pages walked so far: the last is the page shown. */
  const [bounds, setBounds] = useState<string[]>(["+"]);
  const [page, setPage] = useState<Page | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [tail, setTail] = useState(true);
  /** The stream changed since the page shown was read (and the page is not following it). */
  const [stale, setStale] = useState(false);
  const [reload, setReload] = useState(0);
  const [open, setOpen] = useState<StreamEntry | null>(null);
  const [startAt, setStartAt] = useState("");
  const [deleting, setDeleting] = useState<string | null>(null);
  const [trimming, setTrimming] = useState(false);
  /** IDs that arrived with the last tail refresh (highlighted). */
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const top = useRef<string | null>(null);
  /** The mean size of the entries read so far (bytes), or null before the first read. */
  const entryBytes = useRef<number | null>(null);

  const following = tail && order === "newest" && bounds.length === 1 && bounds[0] === "+";
  const tick = useThrottled(props.version, TAIL_MS, following);
  useEffect(() => {
    if (props.version > 0 && !following) setStale(true);
  }, [props.version]);

  useEffect(() => {
    let alive = true;
    /** Up to `n` entries from `bound` on, and whether more follow (one call: COUNT n + 1). */
    const read = async (bound: string, n: number) => {
      const count = BigInt(n + 1);
      const res =
        order === "newest"
          ? await streams.xRevRange({ key, end: bound, start: "-", count })
          : await streams.xRange({ key, start: bound, end: "+", count });
      return { entries: res.entries.slice(0, n), more: res.entries.length > n };
    };
    const fitting = (bytes: number) => Math.max(1, Math.min(STREAM_PAGE, Math.floor(PAGE_BYTES / bytes)));
    (async () => {
      const known = entryBytes.current;
      let { entries, more } = await read(
        bounds[bounds.length - 1] as string,
        known === null ? FIRST_READ : fitting(known),
      );
      if (entries.length > 0) entryBytes.current = Math.max(1, sizeOf(entries) / entries.length);
      // The first read of a view was small (sizes unknown): the rest of the page, as many as fit.
      const rest = known === null && entryBytes.current !== null ? fitting(entryBytes.current) - entries.length : 0;
      const tail = entries[entries.length - 1];
      if (more && rest > 0 && tail) {
        const next = await read(`(${tail.id}`, rest);
        entries = [...entries, ...next.entries];
        more = next.more;
      }
      return { entries, more };
    })().then(
      ({ entries, more }) => {
        if (!alive) return;
        const last = entries[entries.length - 1];
        // New since the last read of the newest page: highlighted.
        const was = top.current;
        const first = entries[0]?.id ?? null;
        if (following && was !== null && first !== null) {
          setFresh(new Set(entries.filter((e) => compareStreamIds(e.id, was) > 0).map((e) => e.id)));
        } else setFresh(new Set());
        top.current = following ? first : null;
        setPage({ entries, next: more && last ? `(${last.id}` : null });
        setStale(false);
        setLoadError(null);
      },
      (e) => alive && setLoadError(errorText(e)),
    );
    return () => {
      alive = false;
    };
  }, [key, order, bounds, reload, tick]);

  const refresh = () => setReload((n) => n + 1);
  const changed = () => {
    refresh();
    props.onChanged();
  };
  const goTo = (o: Order, bound?: string) => {
    setOrder(o);
    setBounds([bound ?? (o === "newest" ? "+" : "-")]);
  };

  return (
    <section class="stream-view" aria-label="Stream entries">
      <div class="row stream-tools">
        <div class="tabs" role="radiogroup" aria-label="Order">
          {(["newest", "oldest"] as const).map((o) => (
            <button key={o} type="button" role="radio" aria-checked={order === o} onClick={() => goTo(o)}>
              {o === "newest" ? "Newest first" : "Oldest first"}
            </button>
          ))}
        </div>
        <form
          class="row"
          aria-label="Go to an entry"
          onSubmit={(e) => {
            e.preventDefault();
            try {
              if (startAt.trim()) goTo(order, boundOf(startAt));
            } catch (err) {
              notify(errorText(err), "error");
            }
          }}
        >
          <input
            aria-label="Start at (ID, ms or UTC date)"
            placeholder={order === "newest" ? "at or before: ID, ms, date" : "from: ID, ms, date"}
            value={startAt}
            onInput={(e) => setStartAt((e.currentTarget as HTMLInputElement).value)}
          />
          <button type="submit">Go</button>
        </form>
        <label class="check">
          <input
            type="checkbox"
            checked={tail}
            onChange={(e) => {
              const on = (e.currentTarget as HTMLInputElement).checked;
              setTail(on);
              if (on) goTo("newest");
            }}
          />{" "}
          Live tail
        </label>
        <span class="muted" role="status" data-testid="stream-state">
          {following ? "following the newest entries" : stale ? "the stream changed" : ""}
        </span>
        {!following && (
          <button type="button" class="link" onClick={refresh}>
            Refresh
          </button>
        )}
        {!readOnly && (
          <button type="button" class="danger-outline" onClick={() => setTrimming(true)}>
            Trim…
          </button>
        )}
      </div>
      {loadError !== null && (
        <p class="error" role="alert">
          Could not read the entries: {loadError}{" "}
          <button type="button" onClick={refresh}>
            Retry
          </button>
        </p>
      )}
      <table class="stream-entries">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Time (UTC)</th>
            <th scope="col">Fields</th>
            {!readOnly && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {page?.entries.map((e) => (
            <tr key={e.id} data-id={e.id} class={fresh.has(e.id) ? "fresh" : undefined}>
              <td class="mono">
                <button
                  type="button"
                  class="link mono"
                  aria-expanded={open?.id === e.id}
                  onClick={() => setOpen(open?.id === e.id ? null : e)}
                >
                  {e.id}
                </button>
              </td>
              <td class="mono time">{streamIdTime(e.id)}</td>
              <td class="mono fields">{summary(e)}</td>
              {!readOnly && (
                <td class="actions">
                  <button
                    type="button"
                    class="danger-outline"
                    aria-label={`Delete entry ${e.id}`}
                    onClick={() => setDeleting(e.id)}
                  >
                    Delete
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {page && page.entries.length === 0 && <p class="muted">No entries here.</p>}
      <nav class="pager" aria-label="Entry pages">
        <button type="button" disabled={bounds.length < 2} onClick={() => setBounds(bounds.slice(0, -1))}>
          ← {order === "newest" ? "Newer" : "Older"}
        </button>
        <span>Page {bounds.length}</span>
        <button type="button" disabled={!page?.next} onClick={() => page?.next && setBounds([...bounds, page.next])}>
          {order === "newest" ? "Older" : "Newer"} →
        </button>
      </nav>
      {open && <EntryView key={open.id} entry={open} onClose={() => setOpen(null)} />}
      {!readOnly && <AddEntry keyName={key} onAdded={changed} />}
      <StreamGroups keyName={key} version={props.version} onChanged={changed} />
      {deleting !== null && (
        <Confirm
          id="confirm-xdel"
          title="Delete this entry?"
          action="Delete entry"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            const { deleted } = await streams.xDel({ key, ids: [deleting] });
            notify(deleted > 0n ? `Deleted entry ${deleting}` : `Entry ${deleting} was already gone`);
            if (open?.id === deleting) setOpen(null);
            changed();
          }}
        >
          <p>
            Entry <code>{deleting}</code> of <code>{key}</code> will be deleted (XDEL). Consumer groups keep it in their
            pending lists until acknowledged. This cannot be undone.
          </p>
        </Confirm>
      )}
      {trimming && <TrimDialog keyName={key} onClose={() => setTrimming(false)} onTrimmed={changed} />}
    </section>
  );
}

/** Fields of an entry shown at once (an entry may have thousands: each is two read-only views). */
const FIELDS_PAGE = 50;

/** An entry's fields and values, each exactly (read-only, Text or Hex), 50 at a time. */
function EntryView(props: { entry: StreamEntry; onClose: () => void }) {
  const { entry } = props;
  const [shown, setShown] = useState(FIELDS_PAGE);
  const n = entry.fields.length;
  return (
    <section class="stream-entry" aria-label={`Entry ${entry.id}`}>
      <div class="row">
        <h3 class="mono">{entry.id}</h3>
        <span class="muted">{streamIdTime(entry.id)}</span>
        <span class="spacer" />
        <button type="button" onClick={props.onClose}>
          Close
        </button>
      </div>
      <p class="muted">
        {formatCount(n)} {n === 1 ? "field" : "fields"}
        {n > shown ? `, the first ${formatCount(shown)} shown` : ""}; entries cannot be changed, only deleted.
      </p>
      <dl class="entry-fields">
        {entry.fields.slice(0, shown).map((f, i) => (
          <div key={i} class="entry-field">
            <dt>
              <BytesView label={`Field ${i + 1}`} bytes={f.field} />
            </dt>
            <dd>
              <BytesView label={`Value ${i + 1}`} bytes={f.value} />
            </dd>
          </div>
        ))}
      </dl>
      {n > shown && (
        <button type="button" onClick={() => setShown(shown + FIELDS_PAGE)}>
          Show {formatCount(Math.min(FIELDS_PAGE, n - shown))} more fields
        </button>
      )}
    </section>
  );
}

const emptyPair = (): [BytesDraft, BytesDraft] => [
  { mode: "text", text: "" },
  { mode: "text", text: "" },
];

/** XADD: an ID (`*` for the server's) and field/value pairs, each as text or hex. */
function AddEntry(props: { keyName: string; onAdded: () => void }) {
  const { clients, notify } = useConsole();
  const [id, setId] = useState("*");
  const [pairs, setPairs] = useState<[BytesDraft, BytesDraft][]>([emptyPair()]);
  const set = (i: number, j: 0 | 1, d: BytesDraft) => {
    const next = pairs.map((p) => [...p] as [BytesDraft, BytesDraft]);
    (next[i] as [BytesDraft, BytesDraft])[j] = d;
    setPairs(next);
  };
  return (
    <form
      class="stream-add"
      aria-label="Add an entry"
      onSubmit={async (e) => {
        e.preventDefault();
        try {
          const fields = pairs.map(([f, v]) => ({ field: bytesOf(f), value: bytesOf(v) }));
          const res = await streamsOf(clients).xAdd({ key: props.keyName, id: id.trim() || "*", fields });
          notify(`Added entry ${res.id ?? ""}`);
          setPairs([emptyPair()]);
          setId("*");
          props.onAdded();
        } catch (err) {
          notify(errorText(err), "error");
        }
      }}
    >
      <h3>Add an entry (XADD)</h3>
      <label class="row">
        ID{" "}
        <input
          aria-label="Entry ID"
          class="mono"
          value={id}
          onInput={(e) => setId((e.currentTarget as HTMLInputElement).value)}
        />
        <span class="muted">* = the server's (time-ms-seq)</span>
      </label>
      {pairs.map((p, i) => (
        <div key={i} class="row stream-pair">
          <BytesField
            label={`Field ${i + 1} name`}
            placeholder="field"
            views={ELEMENT_VIEWS}
            draft={p[0]}
            onDraft={(d) => set(i, 0, d)}
            onError={(m) => notify(m, "error")}
          />
          <BytesField
            label={`Field ${i + 1} value`}
            placeholder="value"
            views={ELEMENT_VIEWS}
            draft={p[1]}
            onDraft={(d) => set(i, 1, d)}
            onError={(m) => notify(m, "error")}
          />
          {pairs.length > 1 && (
            <button
              type="button"
              aria-label={`Remove field ${i + 1}`}
              onClick={() => setPairs(pairs.filter((_, j) => j !== i))}
            >
              ×
            </button>
          )}
        </div>
      ))}
      <div class="row">
        <button type="button" onClick={() => setPairs([...pairs, emptyPair()])}>
          + Add field
        </button>
        <button type="submit" class="primary">
          Add entry
        </button>
      </div>
    </form>
  );
}

/** XTRIM by MAXLEN or MINID, exact or `~`, after a confirmation that says what goes. */
function TrimDialog(props: { keyName: string; onClose: () => void; onTrimmed: () => void }) {
  const { clients, notify } = useConsole();
  const streams = streamsOf(clients);
  const [by, setBy] = useState<"maxlen" | "minid">("maxlen");
  const [threshold, setThreshold] = useState("");
  const [approximate, setApproximate] = useState(false);
  const [length, setLength] = useState<number | null>(null);
  useEffect(() => {
    streams.xLen({ key: props.keyName }).then(
      (r) => setLength(Number(r.length)),
      () => setLength(null),
    );
  }, []);
  const t = threshold.trim();
  const maxLen = by === "maxlen" && /^\d+$/.test(t) ? Number(t) : null;
  const valid = by === "maxlen" ? maxLen !== null : t !== "";
  const removes =
    by === "maxlen" && maxLen !== null && length !== null
      ? `${approximate ? "up to " : ""}${formatCount(Math.max(0, length - maxLen))} of its ${formatCount(length)} entries (the oldest)`
      : by === "minid" && t
        ? `every entry with an ID below ${t}${approximate ? " (whole blocks only: some may stay)" : ""}`
        : "";
  return (
    <Confirm
      id="confirm-xtrim"
      title="Trim the stream"
      action="Trim"
      onClose={props.onClose}
      onConfirm={async () => {
        if (!valid) throw new Error(by === "maxlen" ? "MAXLEN needs a whole number" : "MINID needs an ID");
        const { removed } = await streams.xTrim({
          key: props.keyName,
          trim: {
            threshold: by === "maxlen" ? { case: "maxLen", value: BigInt(t) } : { case: "minId", value: t },
            approximate,
          },
        });
        notify(`Trimmed: ${formatCount(removed)} ${removed === 1n ? "entry" : "entries"} removed`);
        props.onTrimmed();
      }}
    >
      <div class="form">
        <label>
          Keep{" "}
          <select
            aria-label="Trim by"
            value={by}
            onChange={(e) => setBy((e.currentTarget as HTMLSelectElement).value as "maxlen")}
          >
            <option value="maxlen">the newest N entries (MAXLEN)</option>
            <option value="minid">entries from this ID on (MINID)</option>
          </select>
        </label>
        <input
          aria-label={by === "maxlen" ? "Entries to keep" : "Smallest ID to keep"}
          class="mono"
          value={threshold}
          onInput={(e) => setThreshold((e.currentTarget as HTMLInputElement).value)}
        />
        <label class="check">
          <input
            type="checkbox"
            checked={approximate}
            onChange={(e) => setApproximate((e.currentTarget as HTMLInputElement).checked)}
          />{" "}
          Approximate (~): whole blocks only, cheaper
        </label>
      </div>
      <p data-testid="trim-effect">{removes ? `Removes ${removes}. This cannot be undone.` : "\u00a0"}</p>
    </Confirm>
  );
}
