import { useEffect, useState } from "react";
import { api, type Me, type Schemas, type TableDetail } from "../api";
import { Lineage } from "./Lineage";

export function TablePage({ id, me, go }: { id: string; me: Me; go: (to: string) => void }) {
  const [table, setTable] = useState<TableDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [history, setHistory] = useState<Schemas["HistoryEntry"][]>([]);

  useEffect(() => {
    setTable(null);
    api.table(id).then(setTable, (err: Error) => setError(err.message));
    api.tableHistory(id).then((page) => setHistory(page.items), () => setHistory([]));
  }, [id]);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!table) return <p className="muted">Loading…</p>;
  return (
    <section className="table-page">
      <h1>{table.qualified_name}</h1>
      <p>{table.description || <span className="muted">No description.</span>}</p>
      <dl className="facts">
        <dt>Owner</dt>
        <dd>{table.owner ?? "—"}</dd>
        <dt>Type</dt>
        <dd>{table.table_type}</dd>
        <dt>Tags</dt>
        <dd>{table.tags.length ? table.tags.join(", ") : "—"}</dd>
        <dt>Upstream edges</dt>
        <dd data-testid="upstream-count">{table.upstream_count}</dd>
        <dt>Downstream edges</dt>
        <dd data-testid="downstream-count">{table.downstream_count}</dd>
      </dl>

      <p>
        <a href={`#/impact/${table.id}`}>What breaks if I change this table?</a>
      </p>

      <h2>Lineage</h2>
      <Lineage key={table.id} table={table} me={me} go={go} />

      <h2>Fields</h2>
      <table>
        <thead>
          <tr>
            <th>Name</th>
            <th>Type</th>
            <th>Nullable</th>
            <th>Key</th>
            <th>Description</th>
          </tr>
        </thead>
        <tbody>
          {table.fields.map((f) => (
            <tr key={f.id}>
              <td>{f.name}</td>
              <td>{f.data_type ?? ""}</td>
              <td>{f.is_nullable ? "yes" : "no"}</td>
              <td>{f.is_primary_key ? "key" : ""}</td>
              <td>{f.description ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>

      <h2>
        Recent schema changes <a href="#/changes" className="small">all changes</a>
      </h2>
      {table.recent_schema_changes.length === 0 ? (
        <p className="muted">None seen by a sync.</p>
      ) : (
        <ul>
          {table.recent_schema_changes.map((c) => (
            <li key={c.id}>
              <strong className={c.severity}>{c.severity}</strong> {c.change_type.replace(/_/g, " ")}
              {c.field_name ? ` of ${c.field_name}` : ""} · {c.status} · affects {c.affected_count}
            </li>
          ))}
        </ul>
      )}
      <h2>History</h2>
      {history.length === 0 ? (
        <p className="muted">No recorded change.</p>
      ) : (
        <ol className="history" data-testid="table-history">
          {history.map((h) => {
            const field = h.entity_type === "field" ? table.fields.find((f) => f.id === h.entity_id) : undefined;
            const changed = h.action === "update" ? Object.keys(h.changes) : [];
            return (
              <li key={h.id}>
                {h.changed_at.slice(0, 19).replace("T", " ")} · {h.entity_type === "field" ? `column ${field?.name ?? "(dropped)"}` : h.entity_type}{" "}
                {h.action === "delete" ? "deleted" : `${h.action}d`} by {h.changed_by ?? "?"}
                {changed.length > 0 && `: ${changed.join(", ")}`}
              </li>
            );
          })}
        </ol>
      )}
    </section>
  );
}
