import { useState } from "react";
import { api, failure, type Edge, type Me } from "../api";

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
        <p className="muted">Evidence: {edge.evidence.map((e) => e.origin + (e.gone ? " (gone)" : "")).join("; ")}</p>
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
