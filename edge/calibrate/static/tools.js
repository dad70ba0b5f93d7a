// Pointer tools: select/move, and one drawing tool per kind of shape. A tool builds a draft
// (view.draft) and turns it into a site-file item when it is complete.
import { KINDS, LAMPS, state, items, change, addItem, pushUndo, nextId, groundPoints, calibration, selectedItem, handles, round1 } from "./model.js";
import { view, toImage, hitTest, snap, insidePolygon, pxPerScreen, render } from "./canvas.js";

const HINTS = {
  select: "Drag a vertex or a shape to move it; Shift-click a vertex to remove it; Delete removes the selected shape.",
  lane: "Click the lane's corners on the road; click the first corner again (or press Enter) to close it.",
  arrow: "Click the tail, then the head of the selected lane's legal direction (inside the lane).",
  stop_line: "Click both ends of the stop line.",
  junction: "Click both ends of the selected stop line's junction-entry line, where the junction begins (e.g. the far edge of the zebra crossing).",
  solid_line: "Click along the solid line; press Enter (or Finish) after the last point.",
  zone: "Click the zone's corners; click the first corner again (or press Enter) to close it.",
  signal: "Drag a box over the RED lamp of the signal head.",
  ground: "Click a road point whose position you measured, then type its metres in the Ground plane table.",
};

export const tool = { name: "select", drag: null, hint: HINTS.select, listeners: [] };

function announce() {
  tool.listeners.forEach((listener) => listener());
}

export function setTool(name, hint) {
  tool.name = name;
  tool.drag = null;
  view.draft = name === "select" || name === "ground" ? null : { points: [], rubber: name !== "signal", box: name === "signal", lamps: [] };
  tool.hint = hint ?? HINTS[name];
  if (name === "arrow" && state.selection?.kind !== "lanes") tool.hint = "Select a lane first (Select tool, click inside it), then Direction.";
  if (name === "junction" && state.selection?.kind !== "stop_lines") tool.hint = "Select a stop line first (Select tool, click on it), then Junction line.";
  announce();
  render();
}

const near = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]) <= 9 * pxPerScreen();
const rounded = (p) => [round1(p[0]), round1(p[1])];

function lanesCrossedBy(line) {
  const [[ax, ay], [bx, by]] = line;
  return items("lanes").filter((lane) => {
    for (let k = 0; k <= 64; k++) {
      if (insidePolygon([ax + ((bx - ax) * k) / 64, ay + ((by - ay) * k) / 64], lane.polygon)) return true;
    }
    return false;
  }).map((lane) => lane.id);
}

export function finish() {
  const draft = view.draft;
  if (!draft) return;
  const pts = draft.points.map(rounded);
  if ((tool.name === "lane" || tool.name === "zone") && pts.length >= 3) {
    if (tool.name === "lane") {
      addItem("lanes", { id: nextId("lanes"), polygon: pts });
      setTool("arrow", "Now click the tail, then the head of this lane's legal direction.");
    } else {
      addItem("zones", { id: nextId("zones"), kind: "no_stopping", polygon: pts });
      setTool("select", "Type the zone's max dwell in the Selected form.");
    }
  } else if (tool.name === "solid_line" && pts.length >= 2) {
    addItem("solid_lines", { id: nextId("solid_lines"), line: pts });
    setTool("select");
  }
}

function onDrawClick(p) {
  const draft = view.draft;
  const first = draft.points[0];
  const last = draft.points[draft.points.length - 1];
  if ((tool.name === "lane" || tool.name === "zone") && draft.points.length >= 3 && near(p, first)) return finish();
  if (tool.name === "solid_line" && draft.points.length >= 2 && near(p, last)) return finish();
  draft.points.push(tool.name === "arrow" ? p : snap(p));
  if (tool.name === "stop_line" && draft.points.length === 2) {
    const line = draft.points.map(rounded);
    const signals = items("signals");
    const stop = { id: nextId("stop_lines"), line, lanes: lanesCrossedBy(line) };
    if (signals.length === 1) stop.signal = signals[0].id;
    addItem("stop_lines", stop);
    setTool("select", "Check the stop line's lanes and signal in the Selected form.");
  } else if (tool.name === "junction" && draft.points.length === 2) {
    const stop = state.selection?.kind === "stop_lines" ? selectedItem() : null;
    if (stop) change(() => { stop.junction_line = draft.points.map(rounded); });
    setTool("select", "Drag the junction line's ends to adjust it; Shift-click one of them to remove it.");
  } else if (tool.name === "arrow" && draft.points.length === 2) {
    const lane = state.selection?.kind === "lanes" ? selectedItem() : null;
    if (lane) change(() => { lane.direction = draft.points.map(rounded); });
    setTool("select");
  }
  render();
}

function addGroundPoint(p) {
  change(() => {
    const cal = calibration();
    if (!groundPoints()) cal.homography = { image_points: [], world_points_m: [] };
    cal.homography.image_points.push(rounded(p));
    cal.homography.world_points_m.push([null, null]);
    state.selection = { kind: "ground", index: cal.homography.image_points.length - 1 };
  });
  const input = document.querySelector(`#ground input[data-point="${state.selection.index}"][data-axis="0"]`);
  if (input) input.focus();
}

function removeVertex(kind, index, handle) {
  const item = items(kind)[index];
  if (kind === "stop_lines" && Array.isArray(item.junction_line) && item.junction_line.includes(handle.get())) {
    return change(() => { delete item.junction_line; }); // a line without one end is no line: remove it whole
  }
  const list = KINDS[kind].geom === "polygon" ? item.polygon : item.line;
  const minimum = KINDS[kind].geom === "polygon" ? 3 : 2;
  const at = Array.isArray(list) ? list.indexOf(handle.get()) : -1;
  if (at >= 0 && list.length > minimum) change(() => list.splice(at, 1));
}

function startSelect(p, event) {
  const hit = hitTest(p);
  if (!hit) {
    change(() => { state.selection = null; }, { undoable: false });
    return;
  }
  const selection = { kind: hit.kind, index: hit.index };
  if (hit.handle && event.shiftKey && hit.kind !== "ground") return removeVertex(hit.kind, hit.index, hit.handle);
  change(() => { state.selection = selection; }, { undoable: false });
  if (hit.handle) {
    // Snap to other shapes' vertices only: a ground point is a measured spot and never snaps.
    const exclude = hit.kind === "ground" ? () => true : (kind, index) => kind === hit.kind && index === hit.index;
    tool.drag = { handle: hit.handle, exclude };
  } else {
    tool.drag = { move: handles(hit.kind, items(hit.kind)[hit.index]), last: p };
  }
}

function onDown(event) {
  if (event.button !== 0) return;
  view.canvas.setPointerCapture(event.pointerId);
  const p = toImage(event);
  if (tool.name === "select") return startSelect(p, event);
  if (tool.name === "ground") return addGroundPoint(p);
  if (tool.name === "signal") {
    view.draft.points = [p, p];
    tool.drag = { box: true };
    return render();
  }
  if (tool.name === "arrow" && state.selection?.kind !== "lanes") return setTool("arrow");
  if (tool.name === "junction" && state.selection?.kind !== "stop_lines") return setTool("junction");
  onDrawClick(p);
}

function onMove(event) {
  const p = toImage(event);
  view.pointer = p;
  const drag = tool.drag;
  if (!drag) {
    if (view.draft) render();
    return;
  }
  if (drag.box) {
    view.draft.points[1] = p;
    return render();
  }
  if (!drag.saved) {
    pushUndo(); // one undo step per drag, taken when it really moves something
    drag.saved = true;
  }
  if (drag.handle) {
    change(() => drag.handle.set(rounded(snap(p, drag.exclude))), { undoable: false });
  } else if (drag.move) {
    const dx = p[0] - drag.last[0];
    const dy = p[1] - drag.last[1];
    drag.last = p;
    change(() => drag.move.forEach((h) => { const [x, y] = h.get(); h.set(rounded([x + dx, y + dy])); }), { undoable: false });
  }
}

function onUp() {
  const drag = tool.drag;
  tool.drag = null;
  if (!drag?.box) return;
  const [[x1, y1], [x2, y2]] = view.draft.points;
  view.draft.points = [];
  if (Math.abs(x2 - x1) < 2 || Math.abs(y2 - y1) < 2) return render();
  view.draft.lamps.push([Math.min(x1, x2), Math.min(y1, y2), Math.max(x1, x2), Math.max(y1, y2)].map(round1));
  if (view.draft.lamps.length < LAMPS.length) {
    tool.hint = `Drag a box over the ${LAMPS[view.draft.lamps.length].toUpperCase()} lamp of the same head.`;
    announce();
    return render();
  }
  const [red, amber, green] = view.draft.lamps;
  addItem("signals", { id: nextId("signals"), source: "vision", roi: { red, amber, green } });
  setTool("select");
}

export function install(canvas) {
  canvas.addEventListener("pointerdown", onDown);
  canvas.addEventListener("pointermove", onMove);
  canvas.addEventListener("pointerup", onUp);
  canvas.addEventListener("pointercancel", onUp);
}
