import { StrictMode, useCallback, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { api, logout, token, type Me } from "./api";
import { Login } from "./pages/Login";
import { Review } from "./pages/Review";
import { Search } from "./pages/Search";
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

  if (!checked) return <p className="muted">Loading…</p>;
  if (!me) return <Login onDone={refresh} />;
  const table = route.match(/^\/table\/([0-9a-f-]{36})$/);
  return (
    <>
      <header>
        <a href="#/" className="brand">
          Ariadne
        </a>
        <nav aria-label="Main">
          <a href="#/" aria-current={route === "/" ? "page" : undefined}>
            Search
          </a>
          <a href="#/review" aria-current={route === "/review" ? "page" : undefined}>
            Review queue
          </a>
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
        {table ? (
          <TablePage id={table[1]} me={me} go={go} />
        ) : route === "/review" ? (
          <Review me={me} />
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
