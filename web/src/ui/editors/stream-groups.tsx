import { useEffect, useState } from "preact/hooks";
import type { Reply } from "../../../../shared/gen/memorabilia/v1/command_service_pb.js";
import { elementsOf, execute, integerOf, mapOf, bytesOf as replyBytes, textOf } from "../../api/raw-reply.js";
import { streamsOf } from "../../api/streams-client.js";
import { preview, toHex } from "../../model/bytes.js";
import { type BytesDraft, bytesOf, ELEMENT_VIEWS } from "../../model/bytes-draft.js";
import { formatCount } from "../../model/format.js";
import { BytesField } from "../bytes-field.js";
import { errorText, useConsole } from "../context.js";
import { Confirm, useThrottled } from "./view-kit.js";

/** Pending entries per page (XPENDING … COUNT). */
const PENDING_PAGE = 50;
/** Live refreshes of the groups at most this often. */
const REFRESH_MS = 1000;

/** A consumer group as XINFO GROUPS reports it. */
interface Group {
  readonly name: Uint8Array;
  readonly consumers: number;
  readonly pending: number;
  readonly lastDelivered: string;
  readonly entriesRead: number | null;
  readonly lag: number | null;
}

/** A consumer as XINFO CONSUMERS reports it. */
interface Consumer {
  readonly name: Uint8Array;
  readonly pending: number;
  readonly idle: number;
}

/** A pending entry as XPENDING's extended form reports it. */
interface PendingEntry {
  readonly id: string;
  readonly consumer: Uint8Array;
  readonly idle: number;
  readonly deliveries: number;
}

const nameOf = (bytes: Uint8Array) => preview(bytes, 80);
const idOf = (bytes: Uint8Array) => toHex(bytes);
const bytesAt = (r: Reply | undefined) => replyBytes(r) ?? new Uint8Array();

function groupOf(reply: Reply): Group {
  const m = mapOf(reply);
  return {
    name: bytesAt(m.get("name")),
    consumers: integerOf(m.get("consumers")) ?? 0,
    pending: integerOf(m.get("pending")) ?? 0,
    lastDelivered: textOf(m.get("last-delivered-id")) ?? "",
    entriesRead: integerOf(m.get("entries-read")),
    lag: integerOf(m.get("lag")),
  };
}

/** `1.2 s`, `3 min`, `2 h` — how long a consumer or entry has been idle. */
function formatIdle(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  return `${(ms / 86_400_000).toFixed(1)} d`;
}

/**
 * A stream's consumer groups (XINFO GROUPS): create (XGROUP CREATE), set the last delivered ID
 * (XGROUP SETID) and destroy them; a group's consumers (XINFO CONSUMERS, XGROUP DELCONSUMER) and
 * pending entries (XPENDING's extended form, per consumer), acknowledged (XACK) or claimed by
 * another consumer (XCLAIM) after a confirmation. A claim only takes an entry still as idle as it
 * was read (XCLAIM's min-idle-time): one delivered again meanwhile is not stolen.
 */
export function StreamGroups(props: { keyName: string; version: number; onChanged: () => void }) {
  const { clients, readOnly, notify } = useConsole();
  const key = props.keyName;
  const [groups, setGroups] = useState<Group[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [openGroup, setOpenGroup] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [destroying, setDestroying] = useState<Group | null>(null);
  const [settingId, setSettingId] = useState<Group | null>(null);
  const tick = useThrottled(props.version, REFRESH_MS);

  useEffect(() => {
    let alive = true;
    execute(clients, "XINFO", "GROUPS", key).then(
      (r) => {
        if (!alive) return;
        setGroups(elementsOf(r).map(groupOf));
        setError(null);
      },
      (e) => alive && setError(errorText(e)),
    );
    return () => {
      alive = false;
    };
  }, [key, reload, tick]);

  const refresh = () => setReload((n) => n + 1);
  const changed = () => {
    refresh();
    props.onChanged();
  };
  const shown = groups?.find((g) => idOf(g.name) === openGroup) ?? null;

  return (
    <section class="stream-groups" aria-label="Consumer groups">
      <div class="row">
        <h3>Consumer groups</h3>
        <button type="button" class="link" onClick={refresh}>
          Refresh
        </button>
        {!readOnly && (
          <button type="button" onClick={() => setCreating(true)}>
            + New group
          </button>
        )}
      </div>
      {error !== null && (
        <p class="error" role="alert">
          Could not read the groups: {error}
        </p>
      )}
      {groups && groups.length === 0 && <p class="muted">No consumer groups.</p>}
      {groups && groups.length > 0 && (
        <table>
          <thead>
            <tr>
              <th scope="col">Group</th>
              <th scope="col">Consumers</th>
              <th scope="col">Pending</th>
              <th scope="col">Last delivered</th>
              <th scope="col">Lag</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {groups.map((g) => (
              <tr key={idOf(g.name)} data-group={nameOf(g.name)}>
                <td class="mono">
                  <button
                    type="button"
                    class="link mono"
                    aria-expanded={openGroup === idOf(g.name)}
                    onClick={() => setOpenGroup(openGroup === idOf(g.name) ? null : idOf(g.name))}
                  >
                    {nameOf(g.name)}
                  </button>
                </td>
                <td>{formatCount(g.consumers)}</td>
                <td>{formatCount(g.pending)}</td>
                <td class="mono">{g.lastDelivered}</td>
                <td>{g.lag === null ? "—" : formatCount(g.lag)}</td>
                <td class="actions">
                  {!readOnly && (
                    <>
                      <button type="button" aria-label={`Set ID of ${nameOf(g.name)}`} onClick={() => setSettingId(g)}>
                        Set ID
                      </button>
                      <button
                        type="button"
                        class="danger-outline"
                        aria-label={`Destroy ${nameOf(g.name)}`}
                        onClick={() => setDestroying(g)}
                      >
                        Destroy
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {shown && <GroupDetail keyName={key} group={shown} version={reload + tick} onChanged={changed} />}
      {creating && <CreateGroup keyName={key} onClose={() => setCreating(false)} onCreated={changed} />}
      {destroying && (
        <Confirm
          id="confirm-group-destroy"
          title="Destroy this group?"
          action="Destroy group"
          onClose={() => setDestroying(null)}
          onConfirm={async () => {
            const { destroyed } = await streamsOf(clients).xGroupDestroy({ key, group: destroying.name });
            notify(destroyed ? `Group ${nameOf(destroying.name)} destroyed` : "The group was already gone");
            if (openGroup === idOf(destroying.name)) setOpenGroup(null);
            changed();
          }}
        >
          <p>
            Group <code>{nameOf(destroying.name)}</code> of <code>{key}</code> will be destroyed with its{" "}
            {formatCount(destroying.consumers)} consumers and {formatCount(destroying.pending)} pending entries (XGROUP
            DESTROY). The entries stay in the stream. This cannot be undone.
          </p>
        </Confirm>
      )}
      {settingId && <SetIdDialog keyName={key} group={settingId} onClose={() => setSettingId(null)} onDone={changed} />}
    </section>
  );
}

/** A group's consumers and pending entries, with XACK, XCLAIM and XGROUP DELCONSUMER. */
function GroupDetail(props: { keyName: string; group: Group; version: number; onChanged: () => void }) {
  const { clients, readOnly, notify } = useConsole();
  const { keyName: key, group } = props;
  const [consumers, setConsumers] = useState<Consumer[]>([]);
  /** The consumer whose pending entries are shown (hex of its name), or "" for all. */
  const [only, setOnly] = useState("");
  const [bounds, setBounds] = useState<string[]>(["-"]);
  const [pending, setPending] = useState<{ items: PendingEntry[]; next: string | null } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [acking, setAcking] = useState<PendingEntry | null>(null);
  const [claiming, setClaiming] = useState<PendingEntry | null>(null);
  const [dropping, setDropping] = useState<Consumer | null>(null);
  const [reload, setReload] = useState(0);
  const gname = nameOf(group.name);

  useEffect(() => {
    let alive = true;
    const consumer = consumers.find((c) => idOf(c.name) === only)?.name;
    const bound = bounds[bounds.length - 1] as string;
    Promise.all([
      execute(clients, "XINFO", "CONSUMERS", key, group.name),
      execute(
        clients,
        "XPENDING",
        key,
        group.name,
        bound,
        "+",
        String(PENDING_PAGE + 1),
        ...(consumer ? [consumer] : []),
      ),
    ]).then(
      ([c, p]) => {
        if (!alive) return;
        setConsumers(
          elementsOf(c).map((r) => {
            const m = mapOf(r);
            return {
              name: bytesAt(m.get("name")),
              pending: integerOf(m.get("pending")) ?? 0,
              idle: integerOf(m.get("idle")) ?? 0,
            };
          }),
        );
        const items = elementsOf(p).map((r) => {
          const [id, who, idle, n] = elementsOf(r);
          return {
            id: textOf(id) ?? "",
            consumer: bytesAt(who),
            idle: integerOf(idle) ?? 0,
            deliveries: integerOf(n) ?? 0,
          };
        });
        const page = items.slice(0, PENDING_PAGE);
        const last = page[page.length - 1];
        setPending({ items: page, next: items.length > PENDING_PAGE && last ? `(${last.id}` : null });
        setError(null);
      },
      (e) => alive && setError(errorText(e)),
    );
    return () => {
      alive = false;
    };
  }, [key, idOf(group.name), only, bounds, props.version, reload]);

  const changed = () => {
    setReload((n) => n + 1);
    props.onChanged();
  };

  return (
    <section class="stream-group" aria-label={`Group ${gname}`}>
      <h4>
        Group <span class="mono">{gname}</span>
      </h4>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <table>
        <caption class="muted">Consumers (XINFO CONSUMERS)</caption>
        <thead>
          <tr>
            <th scope="col">Consumer</th>
            <th scope="col">Pending</th>
            <th scope="col">Idle</th>
            {!readOnly && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {consumers.map((c) => (
            <tr key={idOf(c.name)}>
              <td class="mono">{nameOf(c.name)}</td>
              <td>{formatCount(c.pending)}</td>
              <td>{formatIdle(c.idle)}</td>
              {!readOnly && (
                <td class="actions">
                  <button
                    type="button"
                    class="danger-outline"
                    aria-label={`Delete consumer ${nameOf(c.name)}`}
                    onClick={() => setDropping(c)}
                  >
                    Delete
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {consumers.length === 0 && <p class="muted">No consumers.</p>}
      <div class="row">
        <label>
          Pending entries of{" "}
          <select
            aria-label="Pending entries of"
            value={only}
            onChange={(e) => {
              setOnly((e.currentTarget as HTMLSelectElement).value);
              setBounds(["-"]);
            }}
          >
            <option value="">every consumer</option>
            {consumers.map((c) => (
              <option key={idOf(c.name)} value={idOf(c.name)}>
                {nameOf(c.name)}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="link" onClick={() => setReload((n) => n + 1)}>
          Refresh
        </button>
      </div>
      <table class="stream-pending">
        <caption class="muted">Pending entries (XPENDING)</caption>
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Consumer</th>
            <th scope="col">Idle</th>
            <th scope="col">Deliveries</th>
            {!readOnly && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {pending?.items.map((p) => (
            <tr key={p.id} data-id={p.id}>
              <td class="mono">{p.id}</td>
              <td class="mono">{nameOf(p.consumer)}</td>
              <td>{formatIdle(p.idle)}</td>
              <td>{p.deliveries}</td>
              {!readOnly && (
                <td class="actions">
                  <button type="button" aria-label={`Ack ${p.id}`} onClick={() => setAcking(p)}>
                    Ack
                  </button>
                  <button type="button" aria-label={`Claim ${p.id}`} onClick={() => setClaiming(p)}>
                    Claim…
                  </button>
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {pending && pending.items.length === 0 && <p class="muted">Nothing pending.</p>}
      <nav class="pager" aria-label="Pending pages">
        <button type="button" disabled={bounds.length < 2} onClick={() => setBounds(bounds.slice(0, -1))}>
          ← Previous
        </button>
        <span>Page {bounds.length}</span>
        <button
          type="button"
          disabled={!pending?.next}
          onClick={() => pending?.next && setBounds([...bounds, pending.next])}
        >
          Next →
        </button>
      </nav>
      {acking && (
        <Confirm
          id="confirm-xack"
          title="Acknowledge this entry?"
          action="Acknowledge"
          danger={false}
          onClose={() => setAcking(null)}
          onConfirm={async () => {
            const { acknowledged } = await streamsOf(clients).xAck({ key, group: group.name, ids: [acking.id] });
            notify(
              acknowledged > 0n
                ? `Acknowledged ${acking.id}`
                : `${acking.id} was no longer pending (acknowledged meanwhile)`,
            );
            changed();
          }}
        >
          <p>
            Entry <code>{acking.id}</code> leaves the pending list of group <code>{gname}</code> (XACK), as if consumer{" "}
            <code>{nameOf(acking.consumer)}</code> had processed it. It will not be delivered again.
          </p>
        </Confirm>
      )}
      {claiming && (
        <ClaimDialog
          keyName={key}
          group={group}
          entry={claiming}
          consumers={consumers}
          onClose={() => setClaiming(null)}
          onDone={changed}
        />
      )}
      {dropping && (
        <Confirm
          id="confirm-delconsumer"
          title="Delete this consumer?"
          action="Delete consumer"
          onClose={() => setDropping(null)}
          onConfirm={async () => {
            const r = await execute(clients, "XGROUP", "DELCONSUMER", key, group.name, dropping.name);
            notify(
              `Consumer ${nameOf(dropping.name)} deleted (${formatCount(integerOf(r) ?? 0)} pending entries dropped)`,
            );
            if (only === idOf(dropping.name)) setOnly("");
            changed();
          }}
        >
          <p>
            Consumer <code>{nameOf(dropping.name)}</code> leaves group <code>{gname}</code> (XGROUP DELCONSUMER). Its{" "}
            {formatCount(dropping.pending)} pending entries are dropped from the pending list: no consumer will be told
            of them again. Claim them first to keep them.
          </p>
        </Confirm>
      )}
    </section>
  );
}

/**
 * XCLAIM of one pending entry for a consumer (an existing one or a new name), only if it is still
 * idle at least as long as it was when read: an entry delivered again meanwhile is left alone.
 */
function ClaimDialog(props: {
  keyName: string;
  group: Group;
  entry: PendingEntry;
  consumers: readonly Consumer[];
  onClose: () => void;
  onDone: () => void;
}) {
  const { clients, notify } = useConsole();
  const { entry } = props;
  const others = props.consumers.filter((c) => idOf(c.name) !== idOf(entry.consumer));
  const [who, setWho] = useState<BytesDraft>({
    mode: "text",
    text: others[0] ? preview(others[0].name) : "",
  });
  return (
    <Confirm
      id="confirm-xclaim"
      title="Claim this entry?"
      action="Claim"
      danger={false}
      onClose={props.onClose}
      onConfirm={async () => {
        const consumer = bytesOf(who);
        if (consumer.length === 0) throw new Error("Name the consumer that claims the entry");
        const r = await execute(
          clients,
          "XCLAIM",
          props.keyName,
          props.group.name,
          consumer,
          String(entry.idle),
          entry.id,
          "JUSTID",
        );
        const claimed = elementsOf(r).length > 0;
        notify(
          claimed
            ? `${entry.id} claimed by ${preview(consumer, 60)}`
            : `${entry.id} was not claimed: it was delivered again or acknowledged since you loaded it`,
          claimed ? "info" : "error",
        );
        props.onDone();
      }}
    >
      <p>
        Entry <code>{entry.id}</code>, pending for <code>{nameOf(entry.consumer)}</code> (idle {formatIdle(entry.idle)}
        ), moves to the consumer below (XCLAIM … JUSTID) — only if no one touched it since you loaded it.
      </p>
      <div class="form">
        <BytesField
          label="Claiming consumer"
          placeholder="consumer"
          views={ELEMENT_VIEWS}
          draft={who}
          onDraft={setWho}
          onError={(m) => notify(m, "error")}
        />
        {others.length > 0 && (
          <p class="muted">Consumers of the group: {others.map((c) => nameOf(c.name)).join(", ")}</p>
        )}
      </div>
    </Confirm>
  );
}

/** XGROUP CREATE: a name (bytes) and where delivery starts (`$`: new entries only, `0`: all). */
function CreateGroup(props: { keyName: string; onClose: () => void; onCreated: () => void }) {
  const { clients, notify } = useConsole();
  const [name, setName] = useState<BytesDraft>({ mode: "text", text: "" });
  const [start, setStart] = useState("$");
  return (
    <Confirm
      id="create-group"
      title="New consumer group"
      action="Create group"
      danger={false}
      onClose={props.onClose}
      onConfirm={async () => {
        const group = bytesOf(name);
        if (group.length === 0) throw new Error("Name the group");
        await streamsOf(clients).xGroupCreate({ key: props.keyName, group, id: start.trim() || "$" });
        notify(`Group ${preview(group, 60)} created`);
        props.onCreated();
      }}
    >
      <div class="form">
        <BytesField
          label="Group name"
          placeholder="group"
          views={ELEMENT_VIEWS}
          draft={name}
          onDraft={setName}
          onError={(m) => notify(m, "error")}
        />
        <label>
          Deliver entries after{" "}
          <input
            aria-label="Start ID"
            class="mono"
            value={start}
            onInput={(e) => setStart((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
        <p class="muted">$ = only entries added from now on; 0 = the whole stream; or an ID.</p>
      </div>
    </Confirm>
  );
}

/** XGROUP SETID: moves a group's last delivered ID (entries after it are delivered next). */
function SetIdDialog(props: { keyName: string; group: Group; onClose: () => void; onDone: () => void }) {
  const { clients, notify } = useConsole();
  const [id, setId] = useState(props.group.lastDelivered);
  const gname = nameOf(props.group.name);
  return (
    <Confirm
      id="confirm-setid"
      title="Set the group's last delivered ID?"
      action="Set ID"
      onClose={props.onClose}
      onConfirm={async () => {
        const to = id.trim();
        if (!to) throw new Error("Give an ID, 0 or $");
        await execute(clients, "XGROUP", "SETID", props.keyName, props.group.name, to);
        notify(`Group ${gname} now delivers entries after ${to}`);
        props.onDone();
      }}
    >
      <p>
        Group <code>{gname}</code> delivers new entries after its last delivered ID, now{" "}
        <code>{props.group.lastDelivered}</code>. An earlier ID delivers entries again; a later one skips them. Pending
        entries are not changed.
      </p>
      <label>
        Last delivered ID{" "}
        <input
          aria-label="Last delivered ID"
          class="mono"
          value={id}
          onInput={(e) => setId((e.currentTarget as HTMLInputElement).value)}
        />
      </label>
    </Confirm>
  );
}
