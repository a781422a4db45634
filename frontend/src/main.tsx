import { StrictMode, useCallback, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { api, logout, SESSION_ENDED, token, type Me } from "./api";
import { ImpactPage } from "./pages/Impact";
import { ImportJobPage, ImportPage } from "./pages/Import";
import { Login } from "./pages/Login";
import { Review } from "./pages/Review";
import { SchemaChangesPage } from "./pages/SchemaChanges";
import { Search } from "./pages/Search";
import { SourcesPage } from "./pages/Sources";
import { TablePage } from "./pages/TablePage";
import "./styles.css";

// Routes live in the hash (#/table/<id>), so the API serves one page for all of them.
function useRoute(): [string, (to: string) => void] {
  const [route, setRoute] = useState(location.hash.slice(1) || "/");
  useEffect(() => {
    const changed = () => setRoute(location.hash.slice(1) || "/");
    window.addEventListener("hashchange", changed);
    return () => window.removeEventListener("hashchange", changed);
  }, []);
  const go = useCallback((to: string) => {
    location.hash = to;
  }, []);
  return [route, go];
}

function App() {
  const [me, setMe] = useState<Me | null>(null);
  const [checked, setChecked] = useState(false);
  const [route, go] = useRoute();

  const refresh = useCallback(() => {
    if (!token()) {
      setMe(null);
      setChecked(true);
      return;
    }
    api
      .me()
      .then(setMe)
      .catch(() => {
        logout();
        setMe(null);
      })
      .finally(() => setChecked(true));
  }, []);
  useEffect(refresh, [refresh]);
  const [ended, setEnded] = useState(false);
  useEffect(() => {
    const end = () => {
      setEnded(true);
      setMe(null);
    };
    window.addEventListener(SESSION_ENDED, end);
    return () => window.removeEventListener(SESSION_ENDED, end);
  }, []);

  if (!checked) return <p className="muted">Loading…</p>;
  if (!me)
    return (
      <Login
        notice={ended ? "Your session ended: log in again to go on where you were." : null}
        onDone={() => {
          setEnded(false);
          refresh();
        }}
      />
    );
  const [, page = "", id] = route.match(/^\/([a-z]*)(?:\/([0-9a-f-]{36}))?$/) ?? [];
  const links: [string, string][] = [
    ["", "Search"],
    ["review", "Review queue"],
    ["changes", "Schema changes"],
    ["import", "Import"],
    ["sources", "Sources"],
  ];
  return (
    <>
      <header>
        <a href="#/" className="brand">
          Ariadne
        </a>
        <nav aria-label="Main">
          {links.map(([to, label]) => (
            <a key={to} href={`#/${to}`} aria-current={page === to && !id ? "page" : undefined}>
              {label}
            </a>
          ))}
          <a href="/docs">API</a>
        </nav>
        <span className="who" data-testid="who">
          {me.email} · {me.role}
        </span>
        <button
          type="button"
          onClick={() => {
            logout();
            refresh();
          }}
        >
          Log out
        </button>
      </header>
      <main>
        {page === "table" && id ? (
          <TablePage id={id} me={me} go={go} />
        ) : page === "impact" && id ? (
          <ImpactPage id={id} go={go} />
        ) : page === "review" ? (
          <Review me={me} />
        ) : page === "import" ? (
          id ? <ImportJobPage id={id} /> : <ImportPage me={me} go={go} />
        ) : page === "changes" ? (
          <SchemaChangesPage me={me} />
        ) : page === "sources" ? (
          <SourcesPage id={id} />
        ) : (
          <Search go={go} />
        )}
      </main>
    </>
  );
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
