import { useCallback, useEffect, useState } from "react";

/** A list the API filters: fetched again 200 ms after the filters stop changing (a text
 * filter applies as you type), with its total and the last message to show. */
export function useFiltered<T>(fetch: () => Promise<{ items: T[]; total: number }>) {
  const [items, setItems] = useState<T[]>([]);
  const [total, setTotal] = useState(0);
  const [message, setMessage] = useState<string | null>(null);
  const reload = useCallback(() => {
    fetch().then(
      (page) => {
        setItems(page.items);
        setTotal(page.total);
      },
      (err: Error) => setMessage(err.message),
    );
  }, [fetch]);
  useEffect(() => {
    const timer = setTimeout(reload, 200);
    return () => clearTimeout(timer);
  }, [reload]);
  return { items, total, message, setMessage, reload };
}

/** "N in all, the first M shown". */
export function counted(total: number, shown: number): string {
  return `${total} in all${total > shown ? `, the first ${shown} shown` : ""}`;
}

/** The owner filter (an e-mail or team name, as the tables record it). */
export function OwnerFilter({ value, onChange }: { value: string; onChange: (owner: string) => void }) {
  return (
    <label>
      Owner
      <input aria-label="Owner" placeholder="anna@example.com" value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}
