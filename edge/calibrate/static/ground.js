// The ground-plane panel: one row per ground point (pixels, typed metres, residual) and the
// fit's reprojection error as the server computed it with OpenCV.
import { state, change, groundPoints } from "./model.js";

let shape = null; // rebuild the table only when its rows change, so typing keeps focus

const fmt = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : "–");

function summary() {
  const g = state.ground;
  if (!g) return "No ground points: pick Ground point and click at least 4 road points whose positions you measured.";
  if (g.error) return `No fit: ${g.error}`;
  const verdict = g.rms_px <= g.max_rms_px ? "good" : "bad";
  const exact = g.points === 4 ? " With exactly 4 points the fit is exact, so the error cannot reveal a wrong point: add more." : "";
  return [`RMS reprojection error ${fmt(g.rms_px)} px (limit ${g.max_rms_px} px) over ${g.points} points.${exact}`, verdict];
}

function metreInput(k, axis, value) {
  const input = Object.assign(document.createElement("input"), { type: "number", step: "any", value: value ?? "" });
  input.dataset.point = k;
  input.dataset.axis = axis;
  input.title = axis === 0 ? "X: metres across the road" : "Y: metres along the road";
  input.addEventListener("change", () => change(() => {
    const hom = groundPoints();
    hom.world_points_m[k][axis] = input.value === "" ? null : parseFloat(input.value);
  }));
  return input;
}

export function renderGround(box, generation) {
  const hom = groundPoints();
  const count = hom ? hom.image_points.length : 0;
  const key = `${generation}:${count}`;
  if (key !== shape) {
    shape = key;
    box.replaceChildren();
    box.append(Object.assign(document.createElement("p"), { id: "rms" }));
    if (count) {
      const table = document.createElement("table");
      table.innerHTML = "<tr><th>#</th><th>x px</th><th>y px</th><th>X m</th><th>Y m</th><th>error px</th></tr>";
      for (let k = 0; k < count; k++) {
        const row = table.insertRow();
        row.dataset.point = k;
        row.insertCell().textContent = `P${k}`;
        row.insertCell().className = "px-x";
        row.insertCell().className = "px-y";
        const world = hom.world_points_m[k] ?? [null, null];
        row.insertCell().append(metreInput(k, 0, world[0]));
        row.insertCell().append(metreInput(k, 1, world[1]));
        row.insertCell().className = "residual";
      }
      box.append(table);
    }
  }
  const [text, verdict] = [].concat(summary());
  const rms = box.querySelector("#rms");
  rms.textContent = text;
  rms.className = verdict ?? "";
  box.querySelectorAll("tr[data-point]").forEach((row) => {
    const k = Number(row.dataset.point);
    const p = hom?.image_points[k] ?? [];
    row.querySelector(".px-x").textContent = fmt(p[0], 1);
    row.querySelector(".px-y").textContent = fmt(p[1], 1);
    const residual = state.ground?.residuals_px?.[k];
    const cell = row.querySelector(".residual");
    cell.textContent = fmt(residual);
    cell.className = `residual ${residual > (state.ground?.max_rms_px ?? 3) ? "bad" : ""}`;
    row.style.fontWeight = state.selection?.kind === "ground" && state.selection.index === k ? "bold" : "";
  });
}
