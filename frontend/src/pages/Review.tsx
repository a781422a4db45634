import { useCallback, useEffect, useState } from "react";
import { Choice } from "../Choice";
import { counted, OwnerFilter, useFiltered } from "../Filtered";
import { api, can, failure, type Edge, type Me, type Source } from "../api";

export function Review({ me }: { me: Me }) {
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [comment, setComment] = useState("");
  const [sources, setSources] = useState<Source[]>([]);
  const [sourceId, setSourceId] = useState("");
  const [owner, setOwner] = useState("");
  const steward = can(me, "steward");

  useEffect(() => {
    api.sources().then((page) => setSources(page.items), () => setSources([]));
  }, []);
  const fetch = useCallback(() => api.review({ source_id: sourceId, owner: owner.trim() }), [sourceId, owner]);
  const { items, total, message, setMessage, reload } = useFiltered<Edge>(fetch);

  async function decide(approved: boolean) {
    if (!comment.trim()) {
      setMessage("Write a comment: it is kept with each decision.");
      return;
    }
    try {
      await api.decide([...chosen], approved, comment.trim());
      setMessage(`${chosen.size} edge${chosen.size === 1 ? "" : "s"} ${approved ? "approved" : "rejected"}.`);
      setChosen(new Set());
    } catch (err) {
      setMessage(failure(err, "Another steward decided on some of these edges first; the queue is reloaded."));
    }
    reload();
  }

  return (
    <section>
      <h1>Review queue</h1>
      <p className="muted">Pending edges, lowest confidence first: {counted(total, items.length)}.</p>
      <div className="decide">
        <Choice
          label="Source"
          value={sourceId}
          options={[["", "all sources"], ...sources.map((s): [string, string] => [s.id, s.name])]}
          onChange={setSourceId}
        />
        <OwnerFilter value={owner} onChange={setOwner} />
      </div>
      {message && <p role="status">{message}</p>}
      <table>
        <thead>
          <tr>
            {steward && <th aria-label="Choose" />}
            <th>From</th>
            <th>To</th>
            <th>Confidence</th>
            <th>Origin</th>
          </tr>
        </thead>
        <tbody>
          {items.map((edge) => (
            <tr key={edge.id}>
              {steward && (
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Choose ${edge.source_name} to ${edge.target_name}`}
                    checked={chosen.has(edge.id)}
                    onChange={(e) => {
                      const next = new Set(chosen);
                      if (e.target.checked) next.add(edge.id);
                      else next.delete(edge.id);
                      setChosen(next);
                    }}
                  />
                </td>
              )}
              <td>{edge.source_name}</td>
              <td>{edge.target_name}</td>
              <td>{Math.round(edge.confidence * 100)}%</td>
              <td>{edge.origin}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {steward && (
        <div className="decide">
          <label>
            Comment
            <input value={comment} onChange={(e) => setComment(e.target.value)} />
          </label>
          <button type="button" disabled={!chosen.size} onClick={() => void decide(true)}>
            Approve {chosen.size || ""}
          </button>
          <button type="button" className="secondary" disabled={!chosen.size} onClick={() => void decide(false)}>
            Reject {chosen.size || ""}
          </button>
        </div>
      )}
    </section>
  );
}
