import { useEffect, useState } from "react";
import { api, type SearchResult } from "../api";

export function Search({ go }: { go: (to: string) => void }) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<SearchResult[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const text = q.trim();
    if (text.length < 2) {
      setResults([]);
      setTotal(0);
      return;
    }
    let stale = false;
    const timer = setTimeout(() => {
      api
        .search(text)
        .then((page) => {
          if (!stale) {
            setResults(page.items);
            setTotal(page.total);
            setError(null);
          }
        })
        .catch((err: Error) => !stale && setError(err.message));
    }, 150); // results as you type, one request per pause
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [q]);

  return (
    <section>
      <h1>Search the catalog</h1>
      <input
        type="search"
        aria-label="Search tables and fields"
        placeholder="orders, revenue, customer email…"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        autoFocus
      />
      {error && <p className="error">{error}</p>}
      {q.trim().length >= 2 && <p className="muted">{total} found</p>}
      <ul className="results" aria-label="Results">
        {results.map((hit) => {
          const target = hit.type === "table" ? hit.id : hit.table_id;
          return (
            <li key={`${hit.type}:${hit.id}`}>
              <a
                href={target ? `#/table/${target}` : undefined}
                onClick={(e) => {
                  if (target) {
                    e.preventDefault();
                    go(`/table/${target}`);
                  }
                }}
              >
                <span className="kind">{hit.type}</span> {hit.qualified_name}
              </a>
              {hit.description && <p className="muted">{hit.description}</p>}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
