// The draft site file (plain JSON, as the server's schema describes it) and what is selected.
// Every change goes through `change()`, so undo and the server check never miss one.

export const KINDS = {
  lanes: { def: "Lane", prefix: "lane-", geom: "polygon", label: "Lanes", colour: "#00c8ff" },
  zones: { def: "Zone", prefix: "zone-", geom: "polygon", label: "No-stopping zones", colour: "#ff40ff" },
  stop_lines: { def: "StopLine", prefix: "stop-", geom: "segment", label: "Stop lines", colour: "#ff3030" },
  solid_lines: { def: "SolidLine", prefix: "solid-", geom: "polyline", label: "Solid lines", colour: "#ffffff" },
  signals: { def: "Signal", prefix: "sig-", geom: "lamps", label: "Signals", colour: "#30ff60" },
  restrictions: { def: "Restriction", prefix: "restriction-", geom: null, label: "Restrictions", colour: "#ffd000" },
};
export const LAMPS = ["red", "amber", "green"];
export const LAMP_COLOURS = { red: "#ff3030", amber: "#ffb000", green: "#30ff60" };

export const state = {
  data: {},
  schema: null,
  sha256: null,
  savedJson: null,
  selection: null, // {kind, index}; kind "ground" selects a ground point
  problems: [],
  ground: null,
  undo: [],
  generation: 0, // bumped whenever `data` is replaced (load, undo): forms holding old objects are rebuilt
  listeners: [],
};

export function calibration() {
  if (typeof state.data.calibration !== "object" || state.data.calibration === null) state.data.calibration = {};
  return state.data.calibration;
}

export function items(kind) {
  const cal = calibration();
  if (!Array.isArray(cal[kind])) cal[kind] = [];
  return cal[kind];
}

export function groundPoints() {
  const hom = calibration().homography;
  return hom && Array.isArray(hom.image_points) ? hom : null;
}

export function selectedItem() {
  const sel = state.selection;
  if (!sel || sel.kind === "ground") return null;
  return items(sel.kind)[sel.index] ?? null;
}

export function nextId(kind) {
  const used = new Set(items(kind).map((item) => item.id));
  let n = 1;
  while (used.has(`${KINDS[kind].prefix}${n}`)) n += 1;
  return `${KINDS[kind].prefix}${n}`;
}

export function onChange(listener) {
  state.listeners.push(listener);
}

// mutate(): the edit; pass {undoable: false} while dragging (the drag start already saved a step).
export function change(mutate, { undoable = true } = {}) {
  if (undoable) pushUndo();
  mutate();
  state.listeners.forEach((listener) => listener());
}

export function pushUndo() {
  state.undo.push(JSON.stringify(state.data));
  if (state.undo.length > 200) state.undo.shift();
}

export function undo() {
  const previous = state.undo.pop();
  if (previous === undefined) return;
  state.data = JSON.parse(previous);
  state.selection = null;
  state.generation += 1;
  state.listeners.forEach((listener) => listener());
}

export function dirty() {
  return JSON.stringify(state.data) !== state.savedJson;
}

export function addItem(kind, item) {
  change(() => {
    items(kind).push(item);
    state.selection = { kind, index: items(kind).length - 1 };
  });
}

export function removeSelected() {
  const sel = state.selection;
  if (!sel) return;
  change(() => {
    if (sel.kind === "ground") {
      const hom = groundPoints();
      hom.image_points.splice(sel.index, 1);
      hom.world_points_m.splice(sel.index, 1);
      if (hom.image_points.length === 0) delete calibration().homography;
    } else {
      const [removed] = items(sel.kind).splice(sel.index, 1);
      if (sel.kind === "lanes") dropLaneRefs(removed.id);
    }
    state.selection = null;
  });
}

function dropLaneRefs(laneId) {
  for (const kind of ["stop_lines", "restrictions"]) {
    for (const item of items(kind)) {
      if (Array.isArray(item.lanes)) item.lanes = item.lanes.filter((id) => id !== laneId);
    }
  }
}

// A renamed lane or signal keeps its stop lines and restrictions pointing at it.
export function renameRefs(kind, oldId, newId) {
  if (kind === "lanes") {
    for (const ref of ["stop_lines", "restrictions"]) {
      for (const item of items(ref)) {
        if (Array.isArray(item.lanes)) item.lanes = item.lanes.map((id) => (id === oldId ? newId : id));
      }
    }
  } else if (kind === "signals") {
    for (const stop of items("stop_lines")) if (stop.signal === oldId) stop.signal = newId;
  }
}

// Draggable points of a shape: each knows how to read and write itself.
export function handles(kind, item) {
  const at = (obj, key) => ({ get: () => obj[key], set: (p) => { obj[key] = p; } });
  const list = (points) => (Array.isArray(points) ? points.map((_, i) => at(points, i)) : []);
  switch (KINDS[kind]?.geom) {
    case "polygon":
      return [...list(item.polygon), ...(kind === "lanes" ? list(item.direction) : [])];
    case "segment":
      // A stop line's junction-entry line moves with it and is edited through it.
      return [...list(item.line), ...(kind === "stop_lines" ? list(item.junction_line) : [])];
    case "polyline":
      return list(item.line);
    case "lamps":
      return LAMPS.flatMap((lamp) => {
        const box = item.roi?.[lamp];
        if (!Array.isArray(box)) return [];
        return [0, 2].map((k) => ({ get: () => [box[k], box[k + 1]], set: (p) => { box[k] = p[0]; box[k + 1] = p[1]; } }));
      });
    default:
      return [];
  }
}

export function groundHandles() {
  const hom = groundPoints();
  return hom ? hom.image_points.map((_, i) => ({ get: () => hom.image_points[i], set: (p) => { hom.image_points[i] = p; } })) : [];
}

export function refIds(target) {
  return items(target).map((item) => item.id).filter((id) => typeof id === "string");
}

export const round1 = (v) => Math.round(v * 10) / 10;
