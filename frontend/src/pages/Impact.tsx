import { useEffect, useState } from "react";
import { Choice, depths } from "../Choice";
import { api, saveFile, type ChangeType, type Impact, type TableDetail } from "../api";

const CHANGES: [ChangeType, string][] = [
  ["drop", "Drop"],
  ["rename", "Rename"],
  ["type_change", "Change the type"],
];

/** One CSV cell: quoted, and a leading = + - @ defused so a spreadsheet never runs it. */
function cell(value: unknown): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

export function impactCsv(impact: Impact): string {
  const header = ["type", "qualified_name", "severity", "distance", "owner", "via_inferred", "path"];
  const rows = [...impact.tables, ...impact.fields].map((item) =>
    [item.type, item.qualified_name, item.severity, item.distance, item.owner, item.via_inferred, item.path.join(" > ")]
      .map(cell)
      .join(","),
  );
  return [header.join(","), ...rows].join("\r\n") + "\r\n";
}

/** "What breaks if I drop / rename / retype this table or column": severity, distance,
 * path and owners, exportable as CSV. */
export function ImpactPage({ id, go }: { id: string; go: (to: string) => void }) {
  const [table, setTable] = useState<TableDetail | null>(null);
  const [change, setChange] = useState<ChangeType>("drop");
  const [fieldId, setFieldId] = useState("");
  const [depth, setDepth] = useState(5);
  const [impact, setImpact] = useState<Impact | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    api.table(id).then(setTable, (err: Error) => setError(err.message));
  }, [id]);

  async function analyse() {
    setBusy(true);
    setError(null);
    try {
      setImpact(await api.impact(id, change, depth, fieldId || undefined));
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  if (!table) return error ? <p className="error" role="alert">{error}</p> : <p className="muted">Loading…</p>;
  const items = impact ? [...impact.tables, ...impact.fields].sort((a, b) => a.distance - b.distance) : [];
  const object = fieldId ? `${table.qualified_name}.${table.fields.find((f) => f.id === fieldId)?.name}` : table.qualified_name;
  return (
    <section>
      <h1>Impact of a change</h1>
      <p>
        <a href={`#/table/${table.id}`}>{table.qualified_name}</a>
      </p>
      <form
        className="decide"
        onSubmit={(e) => {
          e.preventDefault();
          void analyse();
        }}
      >
        <Choice label="Change" value={change} options={CHANGES} onChange={setChange} />
        <Choice
          label="Of"
          value={fieldId}
          options={[["", "the whole table"], ...table.fields.map((f): [string, string] => [f.id, `column ${f.name}`])]}
          onChange={setFieldId}
        />
        <Choice label="Depth" value={depth} options={depths(10)} onChange={setDepth} />
        <button type="submit" disabled={busy}>
          What breaks?
        </button>
      </form>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {impact && (
        <>
          <p role="status" data-testid="impact-summary">
            {CHANGES.find(([c]) => c === impact.change_type)?.[1]} {object}: {impact.tables.length} table
            {impact.tables.length === 1 ? "" : "s"} and {impact.fields.length} column
            {impact.fields.length === 1 ? "" : "s"} affected within {impact.depth} hops.
            {impact.truncated && " The walk stopped at the node budget: more is affected than listed, nearest first."}
          </p>
          {impact.owners_to_notify.length > 0 && <p>Owners to tell: {impact.owners_to_notify.join(", ")}</p>}
          <button
            type="button"
            className="secondary"
            disabled={!items.length}
            onClick={() =>
              saveFile(new Blob([impactCsv(impact)], { type: "text/csv" }), `impact-${change}-${object}.csv`)
            }
          >
            Download CSV
          </button>
          <table>
            <thead>
              <tr>
                <th>Severity</th>
                <th>Distance</th>
                <th>Affected</th>
                <th>Owner</th>
                <th>Path</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={`${item.type}:${item.id}`}>
                  <td className={item.severity}>{item.severity}</td>
                  <td>{item.distance}</td>
                  <td>
                    <span className="kind">{item.type === "table" ? "table" : "column"}</span>{" "}
                    {item.type === "table" ? (
                      <a
                        href={`#/table/${item.id}`}
                        onClick={(e) => {
                          e.preventDefault();
                          go(`/table/${item.id}`);
                        }}
                      >
                        {item.qualified_name}
                      </a>
                    ) : (
                      item.qualified_name
                    )}
                    {item.via_inferred && <span className="inferred-tag"> via an inferred edge</span>}
                  </td>
                  <td>{item.owner ?? "—"}</td>
                  <td className="path">{item.path.join(" → ")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
