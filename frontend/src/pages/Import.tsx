import { useEffect, useState } from "react";
import { Choice } from "../Choice";
import { api, can, download, type ImportJob, type Me, type Preview, type Schemas } from "../api";

const TYPES: [string, string][] = [
  ["table_lineage", "Table lineage"],
  ["field_lineage", "Column lineage"],
  ["tables", "Tables"],
  ["fields", "Fields"],
  ["sources", "Sources"],
  ["workbook", "Workbook (one sheet per type)"],
  ["dbt", "dbt manifest (.json or .zip)"],
  ["datahub_lineage", "DataHub lineage YAML"],
  ["openlineage", "OpenLineage events"],
  ["sql", "SQL files (inferred lineage)"],
];
const SHOWN_PROBLEMS = 200;

function Problems({ problems, truncated }: { problems: Schemas["ImportProblem"][]; truncated: boolean }) {
  if (!problems.length) return <p>No problems.</p>;
  return (
    <>
      <table aria-label="Problems">
        <thead>
          <tr>
            <th>Row</th>
            <th>Column</th>
            <th>Value</th>
            <th>Problem</th>
            <th>What to do</th>
          </tr>
        </thead>
        <tbody>
          {problems.slice(0, SHOWN_PROBLEMS).map((p, i) => (
            <tr key={i} className={p.severity}>
              <td>
                {p.sheet ? `${p.sheet} ` : ""}
                {p.row ?? ""}
              </td>
              <td>{p.column ?? ""}</td>
              <td>{p.value ?? ""}</td>
              <td>
                <span className="kind">{p.severity}</span> {p.message}
              </td>
              <td>{p.hint}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {(truncated || problems.length > SHOWN_PROBLEMS) && (
        <p className="muted">Only the first {Math.min(problems.length, SHOWN_PROBLEMS)} problems are shown; the error report lists them all.</p>
      )}
    </>
  );
}

function Counts({ counts }: { counts: Record<string, number> }) {
  return (
    <dl className="facts" data-testid="counts">
      {Object.entries(counts).map(([k, v]) => (
        <div key={k} className="count">
          <dt>{k.replace(/_/g, " ")}</dt>
          <dd>{v}</dd>
        </div>
      ))}
    </dl>
  );
}

/** Upload a file, preview what it would do (row statuses, every problem with its row,
 * column and hint, and the effect on the graph), choose the mode, execute. */
export function ImportPage({ me, go }: { me: Me; go: (to: string) => void }) {
  const [type, setType] = useState("table_lineage");
  const [file, setFile] = useState<File | null>(null);
  const [replace, setReplace] = useState(false);
  const [mode, setMode] = useState<"all_or_nothing" | "skip_errors">("all_or_nothing");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!can(me, "editor"))
    return (
      <section>
        <h1>Import</h1>
        <p>Your role ({me.role}) cannot import; an editor, steward or admin can.</p>
      </section>
    );

  const form = (extra: Record<string, string>) => {
    const body = new FormData();
    body.append("file", file!);
    body.append("import_type", type);
    body.append("replace", String(replace));
    for (const [k, v] of Object.entries(extra)) body.append(k, v);
    return body;
  };
  async function run<T>(work: () => Promise<T>): Promise<T | undefined> {
    setBusy(true);
    setError(null);
    try {
      return await work();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }
  const graph = preview?.graph;
  const statuses = preview ? preview.rows.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {}) : {};
  return (
    <section>
      <h1>Import</h1>
      <form
        className="decide"
        onSubmit={(e) => {
          e.preventDefault();
          if (file) void run(async () => setPreview(await api.preview(form({}))));
        }}
      >
        <Choice
          label="Type"
          value={type}
          options={TYPES}
          onChange={(chosen) => {
            setType(chosen);
            setPreview(null);
          }}
        />
        <label>
          File
          <input
            type="file"
            aria-label="File"
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setPreview(null);
            }}
          />
        </label>
        <label className="inline">
          <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} /> Replace (retire manual
          edges the file no longer lists)
        </label>
        <button type="submit" disabled={!file || busy}>
          Preview
        </button>
        {!["sql", "openlineage"].includes(type) && (
          <button type="button" className="secondary" onClick={() => void run(() => download(`/import/templates/${type}`, `${type}-template`))}>
            Download a template
          </button>
        )}
      </form>
      {busy && <p role="status">Working…</p>}
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {preview && (
        <div data-testid="preview">
          <h2>Preview of {preview.file_name}</h2>
          <p role="status" className={preview.valid ? "" : "error"}>
            {preview.valid
              ? "The file is valid: nothing was written yet."
              : `${preview.problems.filter((p) => p.severity === "error").length} problem(s) to fix. With “skip errors” the valid rows are written and the rest reported.`}
          </p>
          <h3>Rows</h3>
          <Counts counts={statuses} />
          {preview.rows_truncated && <p className="muted">Row statuses are shown for the first 10,000 rows.</p>}
          <h3>Effect on the graph</h3>
          {graph && (
            <ul>
              <li>{graph.table_edges_added} table edges and {graph.field_edges_added} column edges added</li>
              <li>{graph.edges_updated} edges updated, {graph.attribution_changes} change who stands behind them</li>
              <li>{graph.edges_deprecated} manual edges retired by replace</li>
              <li>{graph.cycles_created} cycles created</li>
            </ul>
          )}
          <h3>Problems</h3>
          <Problems problems={preview.problems} truncated={preview.problems_truncated} />
          <fieldset className="decide">
            <legend>Mode</legend>
            <label className="inline">
              <input type="radio" name="mode" checked={mode === "all_or_nothing"} onChange={() => setMode("all_or_nothing")} /> All or
              nothing
            </label>
            <label className="inline">
              <input type="radio" name="mode" checked={mode === "skip_errors"} onChange={() => setMode("skip_errors")} /> Skip errors
            </label>
            <button
              type="button"
              disabled={busy}
              onClick={() =>
                void run(async () => {
                  const job = await api.execute(form({ mode }));
                  go(`/import/${job.job_id}`);
                })
              }
            >
              Import
            </button>
          </fieldset>
        </div>
      )}
    </section>
  );
}

const DONE = new Set(["succeeded", "failed"]);

/** An import job: progress while it runs, then its counts, problems, error report and
 * the Dagster run that ran it. */
export function ImportJobPage({ id }: { id: string }) {
  const [job, setJob] = useState<ImportJob | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const poll = () =>
      api.importJob(id).then(
        (answer) => {
          if (stopped) return;
          setJob(answer);
          if (!DONE.has(answer.status)) timer = setTimeout(poll, 500);
        },
        (err: Error) => setError(err.message),
      );
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [id]);

  if (error) return <p className="error" role="alert">{error}</p>;
  if (!job) return <p className="muted">Loading…</p>;
  return (
    <section>
      <h1>Import of {job.file_name ?? job.import_type}</h1>
      <p role="status" data-testid="job-status">
        {job.status}
        {job.stage && !DONE.has(job.status) ? ` · ${job.stage}` : ""}
      </p>
      <progress max={100} value={job.progress_percent} aria-label="Progress" />
      <p className="muted">
        {job.import_type} · {job.mode.replace(/_/g, " ")}
        {job.replace ? " · replace" : ""} · by {job.created_by ?? "?"} ·{" "}
        {job.dagster_run_url ? (
          <a href={job.dagster_run_url} target="_blank" rel="noreferrer">
            Open the Dagster run
          </a>
        ) : job.runner === "api-thread" ? (
          "run by the API (the Dagster webserver did not answer)"
        ) : (
          `runner: ${job.runner ?? "not started"}`
        )}
      </p>
      {job.error_message && <p className="error">{job.error_message}</p>}
      {DONE.has(job.status) && (
        <>
          <h2>Counts</h2>
          <Counts counts={job.counts} />
          {job.error_report_url && (
            <button
              type="button"
              onClick={() => void download(job.error_report_url!.replace(/^\/api\/v1/, ""), "error-report").catch((err: Error) => setError(err.message))}
            >
              Download the error report
            </button>
          )}
          <h2>Problems</h2>
          <Problems problems={job.errors} truncated={false} />
        </>
      )}
    </section>
  );
}
