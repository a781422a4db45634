import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { api, type Edge, type GraphEdge, type LineageGraph, type Me, type TableDetail } from "../api";
import { Choice, depths } from "../Choice";
import { Graph, type DrawEdge, type Node } from "../Graph";
import { EdgePanel } from "./EdgePanel";

type Kind = "table" | "field";
type Direction = "upstream" | "downstream";
/** A walk the API cut at its node budget: ``cursor`` fetches its next nodes. */
type Walk = { key: string; name: string; root: string; direction: Direction; depth: number };
type More = Walk & { cursor: string; shown: number; step: number; total: number };
type Drawing = { nodes: Map<string, Node>; edges: Map<string, GraphEdge>; more: Map<string, More> };
const EMPTY: Drawing = { nodes: new Map(), edges: new Map(), more: new Map() };

/** More leaf neighbours than this on one side of a node are drawn as one group. */
export const HUB_LIMIT = 12;

function groupOf(hub: string, dir: Direction): string {
  return `group:${hub}:${dir}`;
}

/** Hubs' leaf neighbours (neighbours with no other edge drawn) folded into one node per
 * hub and side, unless the person opened that group. */
export function grouped(
  nodes: Map<string, Node>,
  edges: Map<string, GraphEdge>,
  opened: Set<string>,
  noun: string,
): { nodes: Node[]; edges: DrawEdge[] } {
  const degree = new Map<string, number>();
  for (const e of edges.values()) {
    degree.set(e.source, (degree.get(e.source) ?? 0) + 1);
    degree.set(e.target, (degree.get(e.target) ?? 0) + 1);
  }
  const leaves = new Map<string, string[]>(); // group id -> leaf ids
  for (const e of edges.values()) {
    for (const [hub, leaf, dir] of [
      [e.source, e.target, "downstream"],
      [e.target, e.source, "upstream"],
    ] as const) {
      const node = nodes.get(leaf);
      if (degree.get(leaf) !== 1 || !node || node.root || node.expanded) continue;
      const key = groupOf(hub, dir);
      if (opened.has(key)) continue;
      leaves.set(key, [...(leaves.get(key) ?? []), leaf]);
    }
  }
  const hidden = new Map<string, string>(); // leaf -> its group
  const groups: Node[] = [];
  const groupEdges: DrawEdge[] = [];
  for (const [key, ids] of leaves) {
    if (ids.length <= HUB_LIMIT) continue;
    const [, hub, dir] = key.split(":");
    const systems = [...new Set(ids.map((id) => (nodes.get(id)?.name ?? "").split(".")[0]))].sort();
    const shownSystems = systems.slice(0, 3).join(", ") + (systems.length > 3 ? ", …" : "");
    groups.push({ id: key, name: `${ids.length} ${noun} in ${shownSystems}`, group: ids.length });
    for (const id of ids) hidden.set(id, key);
    groupEdges.push({
      id: `${key}:edge`,
      source: dir === "downstream" ? hub : key,
      target: dir === "downstream" ? key : hub,
      lineage_source: "group",
      status: "",
      confidence: 1,
    });
  }
  return {
    nodes: [...[...nodes.values()].filter((n) => !hidden.has(n.id)), ...groups],
    edges: [...[...edges.values()].filter((e) => !hidden.has(e.source) && !hidden.has(e.target)), ...groupEdges],
  };
}

/** The lineage around a table (or one of its columns): depth 1 to 5, expand and collapse
 * nodes, page big walks with the API's cursor, hubs grouped, edges opened for review. */
export function Lineage({ table, me, go }: { table: TableDetail; me: Me; go: (to: string) => void }) {
  const [depth, setDepth] = useState(1);
  const [fieldId, setFieldId] = useState<string>("");
  const kind: Kind = fieldId ? "field" : "table";
  const root = fieldId || table.id;
  const [drawing, setDrawing] = useState<Drawing>(EMPTY);
  const current = useRef<Drawing>(EMPTY); // the latest drawing, for merges between renders
  const { nodes, edges, more } = drawing;
  const [added, setAdded] = useState<Map<string, string[]>>(new Map()); // expanded node -> nodes it added
  const [opened, setOpened] = useState<Set<string>>(new Set());
  const [selected, setSelected] = useState<string | null>(null);
  const [edge, setEdge] = useState<Edge | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const draw = useCallback((next: Drawing) => {
    current.current = next;
    setDrawing(next);
  }, []);

  /** Merge walks into the drawing; returns the ids that were not drawn before. */
  const merge = useCallback(
    (graphs: LineageGraph[], walks: Walk[], reset: boolean): string[] => {
      const before = reset ? EMPTY : current.current;
      const nodes = new Map(before.nodes);
      const edges = new Map(before.edges);
      const more = new Map(before.more);
      const fresh: string[] = [];
      graphs.forEach((g, i) => {
        for (const n of g.nodes)
          if (!nodes.has(n.id)) {
            nodes.set(n.id, { id: n.id, name: n.qualified_name, root: reset && n.depth === 0 });
            fresh.push(n.id);
          }
        for (const e of g.edges) edges.set(e.id, e);
        const walk = walks[i];
        const shown = (more.get(walk.key)?.shown ?? 0) + g.nodes.length;
        if (g.next_cursor)
          more.set(walk.key, { ...walk, cursor: g.next_cursor, shown, step: g.nodes.length, total: g.total_nodes });
        else more.delete(walk.key);
      });
      draw({ nodes, edges, more });
      return fresh;
    },
    [draw],
  );

  const walk = useCallback(
    async (from: string, name: string, levels: number, reset: boolean, cursor?: More): Promise<string[]> => {
      setBusy(true);
      try {
        const directions: Direction[] = cursor ? [cursor.direction] : ["upstream", "downstream"];
        const walks = directions.map((direction) => ({ key: `${from}:${direction}`, name, root: from, direction, depth: levels }));
        const graphs = await Promise.all(
          walks.map((w) => api.lineage(kind, from, w.direction, levels, cursor?.cursor)),
        );
        setError(null);
        return merge(graphs, walks, reset);
      } catch (err) {
        setError((err as Error).message);
        return [];
      } finally {
        setBusy(false);
      }
    },
    [kind, merge],
  );

  const redraw = useCallback(() => {
    setAdded(new Map());
    setOpened(new Set());
    setSelected(null);
    void walk(root, table.qualified_name, depth, true);
  }, [walk, root, table.qualified_name, depth]);
  useEffect(redraw, [redraw]);

  const collapse = useCallback(
    (id: string) => {
      const gone = new Set<string>();
      const drop = (n: string) => {
        for (const child of added.get(n) ?? []) {
          if (gone.has(child) || child === root) continue;
          gone.add(child);
          drop(child);
        }
      };
      drop(id);
      const nextAdded = new Map(added);
      for (const n of [id, ...gone]) nextAdded.delete(n);
      setAdded(nextAdded);
      const before = current.current;
      draw({
        nodes: new Map([...before.nodes].filter(([n]) => !gone.has(n)).map(([n, v]) => [n, n === id ? { ...v, expanded: false } : v])),
        edges: new Map([...before.edges].filter(([, e]) => !gone.has(e.source) && !gone.has(e.target))),
        more: new Map([...before.more].filter(([, m]) => !gone.has(m.root) && m.root !== id)),
      });
    },
    [added, root, draw],
  );

  const onNode = useCallback(
    (id: string) => {
      if (id.startsWith("group:")) {
        setOpened((before) => new Set(before).add(id));
        return;
      }
      setSelected(id);
      const node = nodes.get(id);
      if (!node || node.root) return;
      if (node.expanded) {
        collapse(id);
        return;
      }
      void walk(id, node.name, 1, false).then((fresh) => {
        setAdded((before) => new Map(before).set(id, fresh));
        const now = current.current;
        draw({ ...now, nodes: new Map(now.nodes).set(id, { ...node, expanded: true }) });
      });
    },
    [nodes, collapse, walk, draw],
  );

  const onEdge = useCallback(
    (e: DrawEdge) => void api.edge(e.id).then(setEdge, (err: Error) => setError(err.message)),
    [],
  );

  const noun = kind === "table" ? "tables" : "columns";
  const drawn = useMemo(() => grouped(nodes, edges, opened, noun), [nodes, edges, opened, noun]);
  const selectedNode = selected ? nodes.get(selected) : undefined;

  return (
    <>
      <div className="controls">
        <Choice label="Depth" value={depth} options={depths(5)} onChange={setDepth} />
        <Choice
          label="Level"
          value={fieldId}
          options={[["", "Tables"], ...table.fields.map((f): [string, string] => [f.id, `Column ${f.name}`])]}
          onChange={setFieldId}
        />
        <span className="legend">
          <span className="approved">approved</span> <span className="manual">manual</span>{" "}
          <span className="inferred">inferred</span>
        </span>
        {busy && <span className="muted" role="status">Loading…</span>}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <Graph nodes={drawn.nodes} edges={drawn.edges} selected={selected} onNode={onNode} onEdge={onEdge} />
      <p className="muted" data-testid="graph-summary">
        Click a node to expand or collapse it, a group to show its {noun}, an edge to see who stands behind it.{" "}
        {nodes.size} {noun}, {edges.size} edges drawn.
        {kind === "table" && selectedNode && !selectedNode.root && (
          <>
            {" "}
            <a href={`#/table/${selected}`} onClick={(e) => { e.preventDefault(); go(`/table/${selected}`); }}>
              Open {selectedNode.name}
            </a>
          </>
        )}
      </p>
      {[...more.values()].map((m) => (
        <p key={m.key} className="more">
          {m.shown} of {m.total} {noun} {m.direction} of {m.name} drawn.{" "}
          <button type="button" className="secondary" disabled={busy} onClick={() => void walk(m.root, m.name, m.depth, false, m)}>
            Show {Math.min(m.total - m.shown, m.step)} more
          </button>
        </p>
      ))}
      {edge && (
        <EdgePanel
          edge={edge}
          me={me}
          onClose={() => setEdge(null)}
          onDecided={() => {
            redraw();
            void api.edge(edge.id).then(setEdge);
          }}
        />
      )}
    </>
  );
}
