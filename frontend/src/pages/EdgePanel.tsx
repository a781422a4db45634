import { useEffect, useState } from "react";
import { api, failure, type Edge, type Me, type Schemas } from "../api";

const STEWARD_ROLES = new Set(["steward", "admin"]);

// An edge: who stands behind it, its transformation and evidence; stewards decide on a
// pending one with a comment (the API stays the authority: a viewer has no buttons, and
// the API would refuse them anyway).
export function EdgePanel({
  edge,
  me,
  onClose,
  onDecided,
}: {
  edge: Edge;
  me: Me;
  onClose: () => void;
  onDecided: () => void;
}) {
  const [comment, setComment] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [trail, setTrail] = useState<Schemas["LineageAuditEntry"][] | null>(null);
  useEffect(() => {
    api.edgeHistory(edge.id).then(setTrail, () => setTrail(null));
  }, [edge.id, edge.version]);
  const canDecide = STEWARD_ROLES.has(me.role) && edge.status === "pending_review";

  async function decide(approved: boolean) {
    setMessage(null);
    try {
      await api.decide([edge.id], approved, comment || (approved ? "Approved in the explorer" : "Rejected in the explorer"));
      onDecided();
    } catch (err) {
      setMessage(failure(err, "Someone decided on this edge a moment ago; it has been reloaded."));
      onDecided();
    }
  }

  return (
    <aside className="panel" aria-label="Edge details" data-testid="edge-panel">
      <button type="button" className="close" onClick={onClose} aria-label="Close">
        ×
      </button>
      <h3>
        {edge.source_name} → {edge.target_name}
      </h3>
      <dl className="facts">
        <dt>Lineage source</dt>
        <dd data-testid="edge-source">{edge.lineage_source}</dd>
        <dt>Status</dt>
        <dd data-testid="edge-status">{edge.status}</dd>
        <dt>Confidence</dt>
        <dd>{Math.round(edge.confidence * 100)}%</dd>
        <dt>Origin</dt>
        <dd>{edge.origin}</dd>
        <dt>Transformation</dt>
        <dd>{edge.transformation_type ?? "—"}</dd>
        <dt>Created by</dt>
        <dd>{edge.created_by ?? "—"}</dd>
        {edge.approved_by && (
          <>
            <dt>Approved by</dt>
            <dd>{edge.approved_by}</dd>
          </>
        )}
      </dl>
      {edge.transformation_logic && <pre>{edge.transformation_logic}</pre>}
      {edge.evidence && edge.evidence.length > 0 && (
        <>
          <h4>Evidence</h4>
          <ul data-testid="edge-evidence">
            {edge.evidence.map((e) => (
              <li key={e.fingerprint}>
                {e.origin}
                {e.gone ? ` (gone since ${e.gone_at ?? "?"})` : ""} · first seen {e.first_seen_at} · last seen {e.last_seen_at}
              </li>
            ))}
          </ul>
        </>
      )}
      {trail && trail.length > 0 && (
        <>
          <h4>Audit trail</h4>
          <ol data-testid="edge-trail">
            {trail.map((t) => (
              <li key={t.id}>
                {t.occurred_at} · {t.action} by {t.actor ?? "?"}
                {t.comment ? `: “${t.comment}”` : ""}
              </li>
            ))}
          </ol>
        </>
      )}
      {canDecide && (
        <div className="decide">
          <label>
            Comment
            <input value={comment} onChange={(e) => setComment(e.target.value)} placeholder="Why" />
          </label>
          <button type="button" onClick={() => void decide(true)}>
            Approve
          </button>
          <button type="button" className="secondary" onClick={() => void decide(false)}>
            Reject
          </button>
        </div>
      )}
      {message && (
        <p role="alert" className="error">
          {message}
        </p>
      )}
    </aside>
  );
}
