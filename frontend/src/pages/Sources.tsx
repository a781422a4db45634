import { useEffect, useState } from "react";
import { api, type Source, type SyncJob } from "../api";

function SyncJobs({ source }: { source: Source }) {
  const [jobs, setJobs] = useState<SyncJob[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.syncJobs(source.id).then(setJobs, (err: Error) => setError(err.message));
  }, [source.id]);
  if (error) return <p className="error">{error}</p>;
  if (!jobs) return <p className="muted">Loading…</p>;
  if (!jobs.length) return <p className="muted">Never synced.</p>;
  return (
    <table aria-label={`Syncs of ${source.name}`}>
      <thead>
        <tr>
          <th>Started</th>
          <th>Status</th>
          <th>Trigger</th>
          <th>Counts</th>
          <th>Run</th>
        </tr>
      </thead>
      <tbody>
        {jobs.slice(0, 10).map((job) => (
          <tr key={job.job_id}>
            <td>{job.started_at ?? job.created_at}</td>
            <td>
              {job.status}
              {job.error_message ? `: ${job.error_message}` : ""}
            </td>
            <td>{job.trigger}</td>
            <td>
              {Object.entries(job.counts ?? {})
                .map(([k, v]) => `${k.replace(/_/g, " ")} ${v}`)
                .join(", ")}
            </td>
            <td>
              {job.dagster_run_url ? (
                <a href={job.dagster_run_url} target="_blank" rel="noreferrer">
                  Dagster run
                </a>
              ) : (
                (job.runner ?? "")
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The sources and their recent syncs, each linked to the Dagster run that ran it (and
 * the Dagster UI links back here from each sync). */
export function SourcesPage({ id }: { id?: string }) {
  const [sources, setSources] = useState<Source[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.sources().then((page) => setSources(page.items), (err: Error) => setError(err.message));
  }, []);
  if (error) return <p className="error" role="alert">{error}</p>;
  if (!sources) return <p className="muted">Loading…</p>;
  const shown = id ? sources.filter((s) => s.id === id) : sources;
  return (
    <section>
      <h1>{id && shown.length ? `Source ${shown[0].name}` : "Sources and syncs"}</h1>
      {id && <a href="#/sources">All sources</a>}
      {shown.length === 0 && <p>{id ? "This source is not in the catalog." : "No sources yet."}</p>}
      {shown.map((source) => (
        <article key={source.id} className="panel">
          <h2>
            <a href={`#/sources/${source.id}`}>{source.name}</a> <span className="kind">{source.type}</span>
          </h2>
          <p className="muted">
            {source.is_active ? "active" : "inactive"} · last sync {source.last_sync_status ?? "never"}
            {source.last_sync_at ? ` at ${source.last_sync_at}` : ""}
          </p>
          {source.last_sync_error && <p className="error">{source.last_sync_error}</p>}
          <SyncJobs source={source} />
        </article>
      ))}
    </section>
  );
}
