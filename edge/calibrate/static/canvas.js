// Drawing the frame and the draft geometry on the canvas, and finding what is under the pointer.
// Coordinates are image pixels (the site file's frame); the canvas is scaled by CSS.
import { KINDS, LAMPS, LAMP_COLOURS, state, items, groundPoints, handles, groundHandles } from "./model.js";

export const view = { canvas: null, ctx: null, image: null, draft: null, pointer: null };
const HIT_PX = 9; // screen pixels

const JUNCTION_COLOUR = "#ff9a30";

export function setup(canvas) {
  view.canvas = canvas;
  view.ctx = canvas.getContext("2d");
}

export function pxPerScreen() {
  const rect = view.canvas.getBoundingClientRect();
  return rect.width > 0 ? view.canvas.width / rect.width : 1;
}

export function toImage(event) {
  const rect = view.canvas.getBoundingClientRect();
  const s = view.canvas.width / rect.width;
  return [(event.clientX - rect.left) * s, (event.clientY - rect.top) * s];
}

export function toScreen([x, y]) {
  const s = pxPerScreen();
  return [x / s, y / s];
}

export const isPoint = (p) => Array.isArray(p) && p.length === 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);
const points = (list) => (Array.isArray(list) ? list.filter(isPoint) : []);

export function centroid(list) {
  const pts = points(list);
  if (pts.length === 0) return null;
  return [pts.reduce((a, p) => a + p[0], 0) / pts.length, pts.reduce((a, p) => a + p[1], 0) / pts.length];
}

export function insidePolygon([x, y], polygon) {
  const pts = points(polygon);
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i];
    const [xj, yj] = pts[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function segmentDistance([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / len2));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function polylineDistance(p, list) {
  const pts = points(list);
  let best = Infinity;
  for (let i = 1; i < pts.length; i++) best = Math.min(best, segmentDistance(p, pts[i - 1], pts[i]));
  return best;
}

function area(list) {
  const pts = points(list);
  let sum = 0;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) sum += pts[j][0] * pts[i][1] - pts[i][0] * pts[j][1];
  return Math.abs(sum / 2);
}

function boxes(signal) {
  return LAMPS.map((lamp) => [lamp, signal.roi?.[lamp]]).filter(([, b]) => Array.isArray(b) && b.length === 4);
}

// What is under image point p: a draggable handle first, then the smallest shape holding it.
export function hitTest(p) {
  const r = HIT_PX * pxPerScreen();
  const near = (h) => isPoint(h.get()) && Math.hypot(h.get()[0] - p[0], h.get()[1] - p[1]) <= r;
  const sel = state.selection;
  const candidates = [];
  if (sel && sel.kind !== "ground") {
    const item = items(sel.kind)[sel.index];
    if (item) candidates.push(...handles(sel.kind, item).map((h) => ({ ...sel, handle: h })));
  }
  candidates.push(...groundHandles().map((h, index) => ({ kind: "ground", index, handle: h })));
  for (const kind of Object.keys(KINDS)) {
    items(kind).forEach((item, index) => candidates.push(...handles(kind, item).map((h) => ({ kind, index, handle: h }))));
  }
  const handle = candidates.find((c) => near(c.handle));
  if (handle) return handle;
  const shapes = [];
  for (const kind of Object.keys(KINDS)) {
    items(kind).forEach((item, index) => {
      const geom = KINDS[kind].geom;
      if ((geom === "segment" || geom === "polyline") && polylineDistance(p, item.line) <= r) shapes.push({ kind, index, size: 0 });
      if (kind === "stop_lines" && polylineDistance(p, item.junction_line) <= r) shapes.push({ kind, index, size: 0 });
      if (geom === "polygon" && insidePolygon(p, item.polygon)) shapes.push({ kind, index, size: area(item.polygon) });
      if (geom === "lamps") {
        for (const [, [x1, y1, x2, y2]] of boxes(item)) {
          if (p[0] >= x1 - r && p[0] <= x2 + r && p[1] >= y1 - r && p[1] <= y2 + r) shapes.push({ kind, index, size: 1 });
        }
      }
    });
  }
  shapes.sort((a, b) => a.size - b.size);
  return shapes[0] ?? null;
}

// Nearest vertex of another shape, so neighbouring lanes can share an edge exactly.
export function snap(p, exclude) {
  const r = HIT_PX * pxPerScreen();
  let best = null;
  for (const kind of Object.keys(KINDS)) {
    items(kind).forEach((item, index) => {
      for (const h of handles(kind, item)) {
        const q = h.get();
        if (exclude && exclude(kind, index, h)) continue;
        if (isPoint(q) && Math.hypot(q[0] - p[0], q[1] - p[1]) <= r && (!best || Math.hypot(q[0] - p[0], q[1] - p[1]) < best.d)) {
          best = { q: [...q], d: Math.hypot(q[0] - p[0], q[1] - p[1]) };
        }
      }
    });
  }
  return best ? best.q : p;
}

// Image point where a problem's tag goes, from the field path the server gave.
export function anchorOf(loc) {
  if (loc[0] !== "calibration") return null;
  if (loc[1] === "homography") {
    const hom = groundPoints();
    if (!hom) return null;
    const k = typeof loc[3] === "number" ? loc[3] : null;
    return k !== null && isPoint(hom.image_points[k]) ? hom.image_points[k] : centroid(hom.image_points);
  }
  const kind = loc[1];
  const item = typeof loc[2] === "number" && KINDS[kind] ? items(kind)[loc[2]] : null;
  if (!item) return null;
  if (loc[3] === "direction" && Array.isArray(item.direction)) return centroid(item.direction);
  if (loc[3] === "junction_line" && Array.isArray(item.junction_line)) return centroid(item.junction_line);
  if (KINDS[kind].geom === "polygon") return centroid(item.polygon);
  if (KINDS[kind].geom === "lamps") {
    const box = item.roi?.[typeof loc[4] === "string" ? loc[4] : "red"];
    return Array.isArray(box) ? [box[2], (box[1] + box[3]) / 2] : null;
  }
  return centroid(item.line);
}

function path(ctx, list, close) {
  const pts = points(list);
  if (pts.length === 0) return false;
  ctx.beginPath();
  ctx.moveTo(...pts[0]);
  for (const q of pts.slice(1)) ctx.lineTo(...q);
  if (close) ctx.closePath();
  return true;
}

function arrow(ctx, from, to, s) {
  if (!isPoint(from) || !isPoint(to)) return;
  const angle = Math.atan2(to[1] - from[1], to[0] - from[0]);
  const head = 14 * s;
  ctx.beginPath();
  ctx.moveTo(...from);
  ctx.lineTo(...to);
  ctx.lineTo(to[0] - head * Math.cos(angle - 0.4), to[1] - head * Math.sin(angle - 0.4));
  ctx.moveTo(...to);
  ctx.lineTo(to[0] - head * Math.cos(angle + 0.4), to[1] - head * Math.sin(angle + 0.4));
  ctx.stroke();
}

function label(ctx, text, at, colour, s) {
  if (!isPoint(at)) return;
  ctx.font = `${Math.round(13 * s)}px system-ui, sans-serif`;
  ctx.lineWidth = 3 * s;
  ctx.strokeStyle = "rgba(0,0,0,.8)";
  ctx.strokeText(text, at[0] + 5 * s, at[1] - 5 * s);
  ctx.fillStyle = colour;
  ctx.fillText(text, at[0] + 5 * s, at[1] - 5 * s);
}

function drawItem(ctx, kind, item, s, emphasis) {
  const colour = KINDS[kind].colour;
  ctx.strokeStyle = colour;
  ctx.lineWidth = (emphasis.selected ? 4 : 2) * s;
  ctx.setLineDash(emphasis.bad ? [8 * s, 5 * s] : []);
  const geom = KINDS[kind].geom;
  if (geom === "polygon" && path(ctx, item.polygon, true)) {
    ctx.fillStyle = kind === "lanes" ? "rgba(0,200,255,.10)" : "rgba(255,64,255,.12)";
    ctx.fill();
    ctx.stroke();
    if (kind === "lanes" && Array.isArray(item.direction)) arrow(ctx, item.direction[0], item.direction[1], s);
    label(ctx, item.id ?? "?", centroid(item.polygon), colour, s);
  } else if ((geom === "segment" || geom === "polyline") && path(ctx, item.line, false)) {
    ctx.lineWidth = (emphasis.selected ? 5 : 3) * s;
    ctx.stroke();
    label(ctx, item.id ?? "?", centroid(item.line), colour, s); // the ends are often ground points
    if (kind === "stop_lines") drawJunction(ctx, item, s, emphasis);
  } else if (geom === "lamps") {
    for (const [lamp, [x1, y1, x2, y2]] of boxes(item)) {
      ctx.strokeStyle = LAMP_COLOURS[lamp];
      ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    }
    const green = item.roi?.green;
    if (Array.isArray(green)) label(ctx, item.id ?? "?", [green[0], green[3] + 18 * s], colour, s);
  }
  ctx.setLineDash([]);
}

// Where the junction begins, dashed: crossing it on red is running the red; stopping before it is stop_line.
function drawJunction(ctx, stop, s, emphasis) {
  if (!path(ctx, stop.junction_line, false)) return;
  ctx.strokeStyle = JUNCTION_COLOUR;
  ctx.lineWidth = (emphasis.selected ? 4 : 2) * s;
  ctx.setLineDash([10 * s, 6 * s]);
  ctx.stroke();
  ctx.setLineDash(emphasis.bad ? [8 * s, 5 * s] : []);
  label(ctx, `${stop.id ?? "?"} junction`, centroid(stop.junction_line), JUNCTION_COLOUR, s);
}

function drawGround(ctx, s) {
  const grid = state.ground?.grid;
  if (Array.isArray(grid)) {
    ctx.strokeStyle = "rgba(80,230,80,.55)";
    ctx.lineWidth = 1 * s;
    ctx.beginPath();
    for (const [a, b] of grid) { ctx.moveTo(...a); ctx.lineTo(...b); }
    ctx.stroke();
  }
  const hom = groundPoints();
  if (!hom) return;
  hom.image_points.forEach((p, k) => {
    if (!isPoint(p)) return;
    const sel = state.selection?.kind === "ground" && state.selection.index === k;
    ctx.strokeStyle = "#ffdc00";
    ctx.lineWidth = (sel ? 4 : 2) * s;
    ctx.beginPath();
    ctx.arc(p[0], p[1], 6 * s, 0, 2 * Math.PI);
    ctx.stroke();
    const w = hom.world_points_m?.[k];
    label(ctx, `P${k}` + (isPoint(w) ? ` (${w[0]}, ${w[1]}) m` : " (metres?)"), p, "#ffdc00", s);
  });
}

function drawDraft(ctx, s) {
  const draft = view.draft;
  if (!draft || draft.points.length === 0) return;
  const pts = [...draft.points];
  if (view.pointer && draft.rubber) pts.push(view.pointer);
  ctx.strokeStyle = "#ffd36b";
  ctx.lineWidth = 2 * s;
  ctx.setLineDash([6 * s, 4 * s]);
  if (draft.box && pts.length === 2) {
    const [[x1, y1], [x2, y2]] = pts;
    ctx.strokeRect(Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1));
  } else if (path(ctx, pts, false)) {
    ctx.stroke();
  }
  ctx.setLineDash([]);
  ctx.fillStyle = "#ffd36b";
  for (const p of draft.points) ctx.fillRect(p[0] - 3 * s, p[1] - 3 * s, 6 * s, 6 * s);
}

export function render() {
  const { ctx, canvas } = view;
  const s = pxPerScreen();
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (view.image) ctx.drawImage(view.image, 0, 0, canvas.width, canvas.height);
  drawGround(ctx, s);
  const bad = new Set(state.problems.filter((p) => p.loc[0] === "calibration").map((p) => `${p.loc[1]}:${p.loc[2]}`));
  for (const kind of Object.keys(KINDS)) {
    items(kind).forEach((item, index) => {
      const selected = state.selection?.kind === kind && state.selection.index === index;
      drawItem(ctx, kind, item, s, { selected, bad: bad.has(`${kind}:${index}`) });
      if (selected) {
        ctx.fillStyle = "#fff";
        for (const h of handles(kind, item)) if (isPoint(h.get())) ctx.fillRect(h.get()[0] - 4 * s, h.get()[1] - 4 * s, 8 * s, 8 * s);
      }
    });
  }
  drawDraft(ctx, s);
}
