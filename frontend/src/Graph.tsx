import dagre from "@dagrejs/dagre";
import { useEffect, useMemo, useRef, useState, type KeyboardEvent, type PointerEvent } from "react";

/** A node drawn: a table or field, or a group standing for a hub's many leaf neighbours. */
export type Node = { id: string; name: string; root?: boolean; expanded?: boolean; group?: number };
/** An edge drawn; ``lineage_source`` "group" links a hub to its group and opens nothing. */
export type DrawEdge = {
  id: string;
  source: string;
  target: string;
  lineage_source: string;
  status: string;
  confidence: number;
};
const W = 230;
const H = 34;
const ARROWS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0],
  ArrowRight: [1, 0],
  ArrowUp: [0, -1],
  ArrowDown: [0, 1],
};

function focusNode(id: string): void {
  document.querySelector<SVGGElement>(`[data-node="${CSS.escape(id)}"]`)?.focus();
}

// Layered left to right (dagre); pan by dragging, zoom with the wheel, move between nodes
// with the arrow keys. Each edge shows who stands behind it: solid approved, plain manual,
// dashed inferred (with its confidence). The drawing is memoised, so a pan only moves the
// viewport's transform and never re-renders hundreds of nodes.
export function Graph({
  nodes,
  edges,
  selected,
  onNode,
  onEdge,
}: {
  nodes: Node[];
  edges: DrawEdge[];
  selected: string | null;
  onNode: (id: string) => void;
  onEdge: (edge: DrawEdge) => void;
}) {
  const layout = useMemo(() => {
    const g = new dagre.graphlib.Graph({ multigraph: true });
    g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 70, marginx: 10, marginy: 10 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const n of nodes) g.setNode(n.id, { width: W, height: H });
    for (const e of edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target, {}, e.id);
    dagre.layout(g);
    const at = new Map(nodes.map((n) => [n.id, g.node(n.id)]));
    const graph = g.graph();
    const graphWidth = graph.width ?? 0;
    const fullHeight = graph.height ?? 0;
    const width = Math.max(graphWidth, 600);
    // The view keeps the page's proportions. A tall graph is first shrunk (to half at
    // most, so names stay readable), then overflows around the root: pan, zoom out or
    // "Fit" to see it all.
    const height = Math.max(width * 0.4, 200);
    const k0 = fullHeight <= height ? 1 : Math.max(0.5, height / fullHeight);
    const root = nodes.find((n) => n.root);
    const rootY = root ? (at.get(root.id)?.y ?? 0) : fullHeight / 2;
    const x0 = (width - graphWidth * k0) / 2;
    const y0 =
      fullHeight * k0 <= height
        ? (height - fullHeight * k0) / 2
        : Math.min(0, Math.max(height - fullHeight * k0, height / 2 - rootY * k0));
    return { at, width, height, graphWidth, fullHeight, k0, x0, y0 };
  }, [nodes, edges]);
  const [view, setView] = useState({ x: 0, y: 0, k: 1 });
  const drag = useRef<{ x: number; y: number; ratio: number } | null>(null);

  const down = (e: PointerEvent<SVGSVGElement>) => {
    if ((e.target as Element).closest("[data-node],[data-edge]")) return;
    const ratio = layout.width / Math.max(1, e.currentTarget.getBoundingClientRect().width);
    drag.current = { x: e.clientX * ratio - view.x, y: e.clientY * ratio - view.y, ratio };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const move = (e: PointerEvent<SVGSVGElement>) => {
    const d = drag.current;
    if (d) setView((v) => ({ ...v, x: e.clientX * d.ratio - d.x, y: e.clientY * d.ratio - d.y }));
  };
  const svg = useRef<SVGSVGElement>(null);
  const size = useRef(layout.width);
  size.current = layout.width;
  useEffect(() => {
    // Zoom about the pointer (the point under it stays under it). Listened to natively,
    // not passively, so the wheel zooms the graph instead of also scrolling the page.
    const element = svg.current;
    if (!element) return;
    const wheel = (e: globalThis.WheelEvent) => {
      e.preventDefault();
      const box = element.getBoundingClientRect();
      const ratio = size.current / Math.max(1, box.width);
      const px = (e.clientX - box.left) * ratio;
      const py = (e.clientY - box.top) * ratio;
      setView((v) => {
        const k = Math.min(2.5, Math.max(0.05, v.k * (e.deltaY < 0 ? 1.1 : 0.9)));
        return { k, x: px - ((px - v.x) * k) / v.k, y: py - ((py - v.y) * k) / v.k };
      });
    };
    element.addEventListener("wheel", wheel, { passive: false });
    return () => element.removeEventListener("wheel", wheel);
  }, []);
  /** Pan so the node at ``id`` is in view (for keyboard moves past the edge). */
  const reveal = (id: string) => {
    const at = layout.at.get(id);
    if (!at) return;
    setView((v) => {
      const s = v.k * layout.k0;
      const x = v.x + v.k * layout.x0 + s * at.x;
      const y = v.y + v.k * layout.y0 + s * at.y;
      const margin = 40;
      const inside = x > margin && x < layout.width - margin && y > margin && y < layout.height - margin;
      return inside ? v : { ...v, x: v.x + layout.width / 2 - x, y: v.y + layout.height / 2 - y };
    });
  };
  const fit = () => {
    const { width, height, graphWidth, fullHeight, k0, x0, y0 } = layout;
    const s = Math.min(k0, height / Math.max(1, fullHeight), width / Math.max(1, graphWidth));
    const k = s / k0;
    setView({ x: (width - graphWidth * s) / 2 - k * x0, y: (height - fullHeight * s) / 2 - k * y0, k });
  };

  const drawing = useMemo(() => {
    const arrowKey = (from: string, e: KeyboardEvent) => {
      const dir = ARROWS[e.key];
      if (!dir) return;
      e.preventDefault();
      const here = layout.at.get(from);
      if (!here) return;
      let best: string | null = null;
      let bestScore = Infinity;
      for (const [id, at] of layout.at) {
        const dx = at.x - here.x;
        const dy = at.y - here.y;
        const along = dx * dir[0] + dy * dir[1];
        if (id === from || along <= 0) continue;
        const across = Math.abs(dx * dir[1] + dy * dir[0]);
        // up and down stay in the layer (same x) while it has a node that way; left and
        // right go to the next layer's node nearest in height
        const score = dir[1] !== 0 ? (across < 1 ? along : 1e9 + along + across) : Math.round(along) * 1e6 + across;
        if (score < bestScore) [best, bestScore] = [id, score];
      }
      if (best) {
        reveal(best);
        focusNode(best);
      }
    };
    return (
      <>
        {edges.map((edge) => {
          const a = layout.at.get(edge.source);
          const b = layout.at.get(edge.target);
          if (!a || !b) return null;
          const x1 = a.x + W / 2;
          const x2 = b.x - W / 2;
          const mid = (x1 + x2) / 2;
          const path = `M${x1},${a.y} C${mid},${a.y} ${mid},${b.y} ${x2},${b.y}`;
          if (edge.lineage_source === "group")
            return <path key={edge.id} d={path} className="group-edge" markerEnd="url(#arrow)" />;
          const label = `${edge.lineage_source}${edge.lineage_source === "inferred" ? ` ${Math.round(edge.confidence * 100)}%` : ""}`;
          return (
            <g
              key={edge.id}
              data-edge={edge.id}
              data-source={edge.lineage_source}
              className={`edge ${edge.lineage_source} ${edge.status}`}
              tabIndex={0}
              role="button"
              aria-label={`Edge, ${label}, ${edge.status}`}
              onClick={() => onEdge(edge)}
              onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && onEdge(edge)}
            >
              <path d={path} className="hit" />
              <path d={path} className="line" markerEnd="url(#arrow)" />
              <text x={mid} y={(a.y + b.y) / 2 - 4} textAnchor="middle">
                {label}
              </text>
            </g>
          );
        })}
        {nodes.map((node) => {
          const at = layout.at.get(node.id);
          if (!at) return null;
          const action = node.group ? "show them" : node.expanded ? "collapse" : "expand its lineage";
          return (
            <g
              key={node.id}
              data-node={node.id}
              className={`node${node.root ? " root" : ""}${node.group ? " group" : ""}${selected === node.id ? " selected" : ""}`}
              transform={`translate(${at.x - W / 2},${at.y - H / 2})`}
              tabIndex={0}
              role="button"
              aria-label={`${node.name}: ${action}`}
              aria-expanded={node.group ? false : node.expanded}
              onClick={() => onNode(node.id)}
              onKeyDown={(e) => {
                if (e.key === "Enter" || e.key === " ") {
                  e.preventDefault();
                  onNode(node.id);
                } else arrowKey(node.id, e);
              }}
            >
              <rect width={W} height={H} rx={6} />
              <text x={10} y={H / 2 + 4}>
                {node.expanded ? "− " : ""}
                {node.name.length > 32 ? `…${node.name.slice(-31)}` : node.name}
              </text>
              <title>{node.name}</title>
            </g>
          );
        })}
      </>
    );
  }, [nodes, edges, layout, selected, onNode, onEdge]);

  return (
    <div className="graph-box">
      <svg
        className="graph"
        role="group"
        aria-label={`Lineage graph: ${nodes.length} nodes, ${edges.length} edges. Arrow keys move between nodes, Enter expands or collapses one.`}
        ref={svg}
        data-testid="graph"
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        onPointerDown={down}
        onPointerMove={move}
        onPointerUp={() => (drag.current = null)}
      >
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
            <path d="M0,0 L10,5 L0,10 z" />
          </marker>
        </defs>
        <g transform={`translate(${view.x},${view.y}) scale(${view.k})`} data-testid="viewport">
          <g transform={`translate(${layout.x0},${layout.y0}) scale(${layout.k0})`}>{drawing}</g>
        </g>
      </svg>
      <div className="graph-tools">
        <button type="button" className="secondary" onClick={fit}>
          Fit
        </button>
        <button type="button" className="secondary" onClick={() => setView({ x: 0, y: 0, k: 1 })}>
          Reset view
        </button>
      </div>
    </div>
  );
}
