import { useEffect, useMemo, useState } from "preact/hooks";
import { KeyType } from "../../../shared/gen/memorabilia/v1/types_pb.js";
import { formatSize, formatTtl, typeName } from "../model/format.js";
import { deadlineOf } from "../model/key-row.js";
import { readSize } from "../model/key-size.js";
import { ContainerExport } from "./container-export.js";
import { errorText, useConsole } from "./context.js";
import { Dialog } from "./dialog.js";
import { ElementTable } from "./editors/element-table.js";
import { geoAware } from "./editors/geo-source.js";
import { hashSource, listSource, setSource, zsetSource } from "./editors/sources.js";
import { StreamView } from "./editors/stream-view.js";
import { StringViews } from "./editors/string-views.js";
import { useThrottled } from "./editors/view-kit.js";

/** A key changed live re-reads at most this often (a hot writer must not drive the page's reads). */
const LIVE_MS = 300;

interface Meta {
  readonly type: KeyType;
  readonly deadline: number | null;
  readonly size: number;
}

/**
 * A key's page: type, TTL (counting down), size; set, change or clear the TTL; rename; delete
 * with confirmation; and the type's viewer/editor. `version` changes when the key changed live.
 */
/** Containers whose whole value can be copied or downloaded (container-export.tsx). */
const EXPORTABLE: ReadonlySet<KeyType> = new Set([
  KeyType.LIST,
  KeyType.SET,
  KeyType.HASH,
  KeyType.ZSET,
  KeyType.STREAM,
]);

export function KeyDetail(props: {
  keyName: string;
  version: number;
  /** The user's last Delete in the key list (`n` counts them): for this key, the confirmation opens. */
  askDelete?: { readonly key: string; readonly n: number } | null;
  onRenamed: (to: string) => void;
  onDeleted: () => void;
  /** After this page changed the key (value, TTL): the list re-reads its row. */
  onChanged: () => void;
}) {
  const { clients, readOnly, notify } = useConsole();
  const key = props.keyName;
  const version = useThrottled(props.version, LIVE_MS);
  const [meta, setMeta] = useState<Meta | null>(null);
  const [ttlInput, setTtlInput] = useState("");
  const [renameTo, setRenameTo] = useState("");
  const [confirmDelete, setConfirmDelete] = useState(false);
  /** A rename refused because its target exists: the user confirms replacing it, or not. */
  const [replaceTarget, setReplaceTarget] = useState<{ to: string; type: KeyType } | null>(null);
  const [local, setLocal] = useState(0);
  useEffect(() => {
    if (props.askDelete?.key === key) setConfirmDelete(true);
  }, [props.askDelete?.n]);
  /** Why the key could not be read (shown with a Retry, never an endless "Loading…"). */
  const [loadError, setLoadError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    (async () => {
      const [t, ttl] = await Promise.all([clients.keys.type({ key }), clients.keys.ttl({ key })]);
      const now = Date.now();
      const size = await readSize(clients, key, t.type);
      if (alive) {
        setMeta({ type: t.type, deadline: deadlineOf(ttl.ttl, now), size });
        setLoadError(null);
      }
    })().catch((e) => alive && setLoadError(errorText(e)));
    return () => {
      alive = false;
    };
  }, [key, version, local]);

  const sources = useMemo(
    () => ({
      [KeyType.LIST]: listSource(clients, key),
      [KeyType.HASH]: hashSource(clients, key),
      [KeyType.SET]: setSource(clients, key),
      [KeyType.ZSET]: geoAware(zsetSource(clients, key), clients, key),
    }),
    [clients, key],
  );

  const run = async (what: () => Promise<unknown>, done: string) => {
    try {
      await what();
      notify(done);
      setLocal((n) => n + 1);
      props.onChanged();
    } catch (e) {
      notify(errorText(e), "error");
    }
  };

  if (meta === null && loadError !== null)
    return (
      <section class="detail" aria-label="Key">
        <h2 class="key-name mono">{key}</h2>
        <p class="error" role="alert" data-testid="detail-error">
          Could not read this key: {loadError}
        </p>
        <button type="button" onClick={() => setLocal((n) => n + 1)}>
          Retry
        </button>
      </section>
    );
  if (meta === null) return <p class="muted">Loading {key}…</p>;
  if (meta.type === KeyType.NONE) {
    return (
      <section class="detail" aria-label="Key">
        <h2 class="key-name mono">{key}</h2>
        <p class="muted" role="status">
          This key does not exist (any more).
        </p>
      </section>
    );
  }
  const source = sources[meta.type as KeyType.LIST];
  return (
    <section class="detail" aria-label={`Key ${key}`}>
      <header class="detail-head">
        <h2 class="key-name mono" title={key}>
          {key}
        </h2>
        <button
          type="button"
          class="link"
          onClick={() =>
            navigator.clipboard.writeText(key).then(
              () => notify("Key name copied"),
              (e) => notify(`Could not copy: ${errorText(e)}`, "error"),
            )
          }
        >
          Copy name
        </button>
        <dl class="facts">
          <dt>Type</dt>
          <dd class={`t-${typeName(meta.type)}`}>{typeName(meta.type)}</dd>
          <dt>TTL</dt>
          <dd data-deadline={meta.deadline ?? undefined} data-testid="detail-ttl">
            {formatTtl(meta.deadline, Date.now())}
          </dd>
          {meta.size >= 0 && (
            <>
              <dt>Size</dt>
              <dd>{formatSize(meta.type, meta.size)}</dd>
            </>
          )}
        </dl>
      </header>
      {!readOnly && (
        <div class="key-actions">
          <form
            class="row"
            aria-label="Time to live"
            onSubmit={(e) => {
              e.preventDefault();
              const seconds = Number(ttlInput);
              if (!(seconds > 0)) return notify("The TTL must be a positive number of seconds", "error");
              run(
                () => clients.keys.expire({ key, when: { case: "ttlMs", value: BigInt(Math.round(seconds * 1000)) } }),
                `TTL set to ${seconds}s`,
              ).then(() => setTtlInput(""));
            }}
          >
            <input
              aria-label="TTL in seconds"
              inputMode="decimal"
              placeholder="TTL (s)"
              value={ttlInput}
              onInput={(e) => setTtlInput((e.currentTarget as HTMLInputElement).value)}
            />
            <button type="submit">Set TTL</button>
            <button
              type="button"
              disabled={meta.deadline === null}
              onClick={() => run(() => clients.keys.persist({ key }), "TTL cleared")}
            >
              Clear TTL
            </button>
          </form>
          <form
            class="row"
            aria-label="Rename"
            onSubmit={async (e) => {
              e.preventDefault();
              const to = renameTo.trim();
              if (!to || to === key) return;
              try {
                // RENAMENX: an existing key of that name is never overwritten without asking.
                if ((await clients.keys.renameNx({ key, newKey: to })).renamed) {
                  notify(`Renamed to ${to}`);
                  setRenameTo("");
                  props.onRenamed(to);
                } else {
                  setReplaceTarget({ to, type: (await clients.keys.type({ key: to })).type });
                }
              } catch (err) {
                notify(errorText(err), "error");
              }
            }}
          >
            <input
              aria-label="New name"
              placeholder="new name"
              value={renameTo}
              onInput={(e) => setRenameTo((e.currentTarget as HTMLInputElement).value)}
            />
            <button type="submit">Rename</button>
          </form>
          <button type="button" class="danger" onClick={() => setConfirmDelete(true)}>
            Delete key
          </button>
        </div>
      )}
      {meta.type !== KeyType.STRING && EXPORTABLE.has(meta.type) && (
        <ContainerExport keyName={key} type={meta.type} elements={meta.size} />
      )}
      {meta.type === KeyType.STRING ? (
        <StringViews keyName={key} version={version + local} onChanged={props.onChanged} />
      ) : meta.type === KeyType.STREAM ? (
        <StreamView
          keyName={key}
          version={version}
          onChanged={() => {
            setLocal((n) => n + 1);
            props.onChanged();
          }}
        />
      ) : source ? (
        <ElementTable source={source} label={`${typeName(meta.type)} elements`} version={version + local} />
      ) : null}
      {replaceTarget && (
        <Dialog id="confirm-replace" title="Replace the existing key?" onClose={() => setReplaceTarget(null)}>
          <p>
            <code>{replaceTarget.to}</code> exists already
            {replaceTarget.type !== KeyType.NONE ? ` (a ${typeName(replaceTarget.type)})` : ""}. Renaming{" "}
            <code>{key}</code> to it deletes its value. This cannot be undone.
          </p>
          <div class="row end">
            <button type="button" onClick={() => setReplaceTarget(null)}>
              Cancel
            </button>
            <button
              type="button"
              class="danger"
              onClick={async () => {
                const to = replaceTarget.to;
                try {
                  await clients.keys.rename({ key, newKey: to });
                  notify(`Renamed to ${to}, replacing the key there`);
                  setReplaceTarget(null);
                  setRenameTo("");
                  props.onRenamed(to);
                } catch (err) {
                  notify(errorText(err), "error");
                }
              }}
            >
              Replace
            </button>
          </div>
        </Dialog>
      )}
      {confirmDelete && (
        <Dialog id="confirm-delete" title="Delete this key?" onClose={() => setConfirmDelete(false)}>
          <p>
            <code>{key}</code> and its value will be deleted. This cannot be undone.
          </p>
          <div class="row end">
            <button type="button" onClick={() => setConfirmDelete(false)}>
              Cancel
            </button>
            <button
              type="button"
              class="danger"
              onClick={async () => {
                try {
                  await clients.keys.del({ keys: [key] });
                  notify(`Deleted ${key}`);
                  setConfirmDelete(false);
                  props.onDeleted();
                } catch (e) {
                  notify(errorText(e), "error");
                }
              }}
            >
              Delete
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}
