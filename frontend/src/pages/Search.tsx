import { useEffect, useState, type KeyboardEvent } from "react";
import { api, type SearchResult } from "../api";

/** Arrow keys move between results (and up from the first back to the search box). */
function moveInResults(e: KeyboardEvent<HTMLUListElement>): void {
  if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
  e.preventDefault();
  const links = [...e.currentTarget.querySelectorAll<HTMLAnchorElement>("a")];
  const at = links.indexOf(document.activeElement as HTMLAnchorElement);
  const next = at + (e.key === "ArrowDown" ? 1 : -1);
  if (next < 0) document.querySelector<HTMLInputElement>('input[type="search"]')?.focus();
  else links[Math.min(next, links.length - 1)]?.focus();
}

export function Search({ go }: { go: (to: string) => void }) {
  const [q, setQ] = useState("");
  const [results, setResults] = useState<SearchResult[]>([]);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [hybrid, setHybrid] = useState(sessionStorage.getItem("ariadne.hybrid") === "1");

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
        .search(text, hybrid ? "hybrid" : "fts")
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
  }, [q, hybrid]);

  return (
    <section>
      <h1>Search the catalog</h1>
      <input
        type="search"
        aria-label="Search tables and fields"
        placeholder="orders, revenue, customer email…"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            document.querySelector<HTMLAnchorElement>(".results a")?.focus();
          }
        }}
        autoFocus
      />
      <label className="inline">
        <input
          type="checkbox"
          checked={hybrid}
          onChange={(e) => {
            setHybrid(e.target.checked);
            sessionStorage.setItem("ariadne.hybrid", e.target.checked ? "1" : "0");
          }}
        />{" "}
        Also by meaning (hybrid: names and descriptions fused with their embeddings, docs/ai.md)
      </label>
      {error && <p className="error">{error}</p>}
      {q.trim().length >= 2 && <p className="muted">{total} found</p>}
      <ul className="results" aria-label="Results" onKeyDown={moveInResults}>
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
