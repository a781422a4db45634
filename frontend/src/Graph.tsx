import dagre from "@dagrejs/dagre";
import { useMemo, useRef, useState, type PointerEvent, type WheelEvent } from "react";
import type { GraphEdge } from "./api";

export type Node = { id: string; name: string; root?: boolean };
const W = 230;
const H = 34;

// Layered left to right (dagre); pan by dragging, zoom with the wheel. Each edge shows who
// stands behind it: solid approved, plain manual, dashed inferred (with its confidence).
export function Graph({
  nodes,
  edges,
  selected,
  onNode,
  onEdge,
}: {
  nodes: Node[];
  edges: GraphEdge[];
  selected: string | null;
  onNode: (id: string) => void;
  onEdge: (edge: GraphEdge) => void;
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
    return { at, width: graph.width ?? 0, height: graph.height ?? 0 };
  }, [nodes, edges]);
  const [view, setView] = useState({ x: 0, y: 0, k: 1 });
  const drag = useRef<{ x: number; y: number } | null>(null);

  const down = (e: PointerEvent<SVGSVGElement>) => {
    if ((e.target as Element).closest("[data-node],[data-edge]")) return;
    drag.current = { x: e.clientX - view.x, y: e.clientY - view.y };
    e.currentTarget.setPointerCapture(e.pointerId);
  };
  const move = (e: PointerEvent<SVGSVGElement>) => {
    if (drag.current) setView((v) => ({ ...v, x: e.clientX - drag.current!.x, y: e.clientY - drag.current!.y }));
  };
  const wheel = (e: WheelEvent<SVGSVGElement>) => {
    const k = Math.min(2.5, Math.max(0.2, view.k * (e.deltaY < 0 ? 1.1 : 0.9)));
    setView((v) => ({ ...v, k }));
  };

  return (
    <svg
      className="graph"
      role="group"
      aria-label={`Lineage graph: ${nodes.length} nodes, ${edges.length} edges`}
      data-testid="graph"
      viewBox={`0 0 ${Math.max(layout.width, 600)} ${Math.max(layout.height, 200)}`}
      onPointerDown={down}
      onPointerMove={move}
      onPointerUp={() => (drag.current = null)}
      onWheel={wheel}
    >
      <defs>
        <marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto">
          <path d="M0,0 L10,5 L0,10 z" />
        </marker>
      </defs>
      <g transform={`translate(${view.x},${view.y}) scale(${view.k})`} data-testid="viewport">
        {edges.map((edge) => {
          const a = layout.at.get(edge.source);
          const b = layout.at.get(edge.target);
          if (!a || !b) return null;
          const x1 = a.x + W / 2;
          const x2 = b.x - W / 2;
          const mid = (x1 + x2) / 2;
          const path = `M${x1},${a.y} C${mid},${a.y} ${mid},${b.y} ${x2},${b.y}`;
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
          return (
            <g
              key={node.id}
              data-node={node.id}
              className={`node${node.root ? " root" : ""}${selected === node.id ? " selected" : ""}`}
              transform={`translate(${at.x - W / 2},${at.y - H / 2})`}
              tabIndex={0}
              role="button"
              aria-label={`${node.name}: expand its lineage`}
              onClick={() => onNode(node.id)}
              onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && onNode(node.id)}
            >
              <rect width={W} height={H} rx={6} />
              <text x={10} y={H / 2 + 4}>
                {node.name.length > 32 ? `…${node.name.slice(-31)}` : node.name}
              </text>
              <title>{node.name}</title>
            </g>
          );
        })}
      </g>
    </svg>
  );
}
