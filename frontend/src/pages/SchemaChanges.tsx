import { useCallback, useState } from "react";
import { Choice } from "../Choice";
import { counted, OwnerFilter, useFiltered } from "../Filtered";
import { api, can, failure, type Me, type SchemaChange } from "../api";

const STATUSES: [string, string][] = [
  ["open", "open"],
  ["acknowledged", "acknowledged"],
  ["closed", "closed (reverted)"],
  ["", "all"],
];
const SEVERITIES: [string, string][] = [
  ["", "all"],
  ["breaking", "breaking"],
  ["risky", "risky"],
];

function change(event: SchemaChange): string {
  const details = (event.details ?? {}) as Record<string, unknown>;
  const what = event.change_type.replace(/_/g, " ");
  return "before" in details && "after" in details ? `${what} (${String(details.before)} → ${String(details.after)})` : what;
}

function Acknowledge({ event, onDone }: { event: SchemaChange; onDone: (message: string) => void }) {
  const [comment, setComment] = useState("");
  return (
    <form
      className="decide"
      onSubmit={(e) => {
        e.preventDefault();
        if (!comment.trim()) return onDone("Write a comment: it is kept with the acknowledgement.");
        api.acknowledge(event.id, comment.trim()).then(
          () => onDone(`Acknowledged the change to ${event.table}.`),
          (err) => onDone(failure(err, "Someone acknowledged this change a moment ago; the list is reloaded.")),
        );
      }}
    >
      <input aria-label={`Comment on ${event.table}${event.field ? `.${event.field}` : ""}`} value={comment} onChange={(e) => setComment(e.target.value)} placeholder="What was done" />
      <button type="submit" className="secondary">
        Acknowledge
      </button>
    </form>
  );
}

/** Breaking and risky schema changes syncs saw, with what each breaks downstream; editors
 * and up acknowledge them with a comment (docs/schema-changes.md). */
export function SchemaChangesPage({ me }: { me: Me }) {
  const [status, setStatus] = useState("open");
  const [severity, setSeverity] = useState("");
  const [owner, setOwner] = useState("");
  const editor = can(me, "editor");

  const fetch = useCallback(() => api.schemaChanges({ status, severity, owner: owner.trim() }), [status, severity, owner]);
  const { items, total, message, setMessage, reload } = useFiltered<SchemaChange>(fetch);

  return (
    <section>
      <h1>Schema changes</h1>
      <p className="muted">
        What syncs saw change, newest first: {counted(total, items.length)}.
      </p>
      <div className="decide">
        <Choice label="Status" value={status} options={STATUSES} onChange={setStatus} />
        <Choice label="Severity" value={severity} options={SEVERITIES} onChange={setSeverity} />
        <OwnerFilter value={owner} onChange={setOwner} />
      </div>
      {message && <p role="status">{message}</p>}
      <table aria-label="Schema changes">
        <thead>
          <tr>
            <th>Seen</th>
            <th>Severity</th>
            <th>Where</th>
            <th>Change</th>
            <th>Breaks downstream</th>
            <th>Status</th>
          </tr>
        </thead>
        <tbody>
          {items.map((event) => (
            <tr key={event.id}>
              <td>{(event.detected_at ?? "").slice(0, 16).replace("T", " ")}</td>
              <td className={event.severity === "breaking" ? "critical" : "medium"}>{event.severity}</td>
              <td>
                <a href={`#/table/${event.table_id}`}>{event.table}</a>
                {event.field ? `.${event.field}` : ""}
              </td>
              <td>{change(event)}</td>
              <td>
                {event.affected_count}
                {event.truncated ? "+" : ""} affected
                {event.only_inferred && event.affected_count > 0 && <span className="inferred-tag"> only through inferred lineage</span>}
                {event.owners.length > 0 && <div className="muted">{event.owners.join(", ")}</div>}
              </td>
              <td>
                {event.status}
                {event.acknowledged_by && (
                  <div className="muted">
                    by {event.acknowledged_by}: “{event.acknowledge_comment}”
                  </div>
                )}
                {event.closed_reason && <div className="muted">{event.closed_reason}</div>}
                {editor && event.status === "open" && (
                  <Acknowledge
                    event={event}
                    onDone={(said) => {
                      setMessage(said);
                      reload();
                    }}
                  />
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
