import { useCallback, useEffect, useState } from "react";
import { api, type Edge, type GraphEdge, type LineageGraph, type Me, type TableDetail } from "../api";
import { Graph, type Node } from "../Graph";
import { EdgePanel } from "./EdgePanel";

type Level = { kind: "table" } | { kind: "field"; fieldId: string };

export function TablePage({ id, me, go }: { id: string; me: Me; go: (to: string) => void }) {
  const [table, setTable] = useState<TableDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [depth, setDepth] = useState(1);
  const [level, setLevel] = useState<Level>({ kind: "table" });
  const [nodes, setNodes] = useState<Map<string, Node>>(new Map());
  const [edges, setEdges] = useState<Map<string, GraphEdge>>(new Map());
  const [selected, setSelected] = useState<string | null>(null);
  const [edge, setEdge] = useState<Edge | null>(null);

  useEffect(() => {
    setTable(null);
    setEdge(null);
    api.table(id).then(setTable, (err: Error) => setError(err.message));
  }, [id]);

  const merge = useCallback((graphs: LineageGraph[], reset: boolean) => {
    setNodes((before) => {
      const next = reset ? new Map<string, Node>() : new Map(before);
      for (const g of graphs)
        for (const n of g.nodes) if (!next.has(n.id)) next.set(n.id, { id: n.id, name: n.qualified_name, root: n.depth === 0 && reset });
      return next;
    });
    setEdges((before) => {
      const next = reset ? new Map<string, GraphEdge>() : new Map(before);
      for (const g of graphs) for (const e of g.edges) next.set(e.id, e);
      return next;
    });
  }, []);

  const load = useCallback(
    (root: string, kind: "table" | "field", levels: number, reset: boolean) =>
      Promise.all([
        api.lineage(kind, root, "upstream", levels),
        api.lineage(kind, root, "downstream", levels),
      ]).then((graphs) => merge(graphs, reset), (err: Error) => setError(err.message)),
    [merge],
  );

  useEffect(() => {
    if (level.kind === "table") void load(id, "table", depth, true);
    else void load(level.fieldId, "field", depth, true);
  }, [id, depth, level, load]);

  const kind = level.kind;
  const openEdge = (e: GraphEdge) => api.edge(e.id).then(setEdge, (err: Error) => setError(err.message));

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

      <h2>Lineage</h2>
      <div className="controls">
        <label>
          Depth{" "}
          <select aria-label="Depth" value={depth} onChange={(e) => setDepth(Number(e.target.value))}>
            {[1, 2, 3, 4, 5].map((d) => (
              <option key={d}>{d}</option>
            ))}
          </select>
        </label>
        <label>
          Level{" "}
          <select
            aria-label="Level"
            value={kind === "table" ? "" : level.fieldId}
            onChange={(e) => setLevel(e.target.value ? { kind: "field", fieldId: e.target.value } : { kind: "table" })}
          >
            <option value="">Tables</option>
            {table.fields.map((f) => (
              <option key={f.id} value={f.id}>
                Column {f.name}
              </option>
            ))}
          </select>
        </label>
        <span className="legend">
          <span className="approved">approved</span> <span className="manual">manual</span>{" "}
          <span className="inferred">inferred</span>
        </span>
      </div>
      <Graph
        nodes={[...nodes.values()]}
        edges={[...edges.values()]}
        selected={selected}
        onNode={(node) => {
          setSelected(node);
          void load(node, kind, 1, false); // expand one level further around it
        }}
        onEdge={openEdge}
      />
      <p className="muted">
        Click a node to expand it, an edge to see who stands behind it. {nodes.size} nodes, {edges.size} edges.
        {kind === "table" && selected && selected !== id && (
          <>
            {" "}
            <a href={`#/table/${selected}`} onClick={(e) => { e.preventDefault(); go(`/table/${selected}`); }}>
              Open the selected table
            </a>
          </>
        )}
      </p>
      {edge && (
        <EdgePanel
          edge={edge}
          me={me}
          onClose={() => setEdge(null)}
          onDecided={() => {
            if (level.kind === "table") void load(id, "table", depth, true);
            else void load(level.fieldId, "field", depth, true);
            void api.edge(edge.id).then(setEdge);
          }}
        />
      )}

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

      <h2>Recent schema changes</h2>
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
      {table.last_change && (
        <p className="muted">
          Last change: {table.last_change.action} by {table.last_change.changed_by ?? "?"} at {table.last_change.changed_at}
        </p>
      )}
    </section>
  );
}
