// Wiring of the calibration page: load the schema, the site file and a still; keep the side
// panels in step with the draft; ask the server to check every change; save.
import { getJson, postJson, getImage } from "./api.js";
import { state, KINDS, items, change, onChange, undo, dirty, removeSelected, addItem, nextId, renameRefs } from "./model.js";
import { view, setup, render, anchorOf, toScreen } from "./canvas.js";
import { tool, setTool, install, finish } from "./tools.js";
import { objectForm, showFieldProblems } from "./forms.js";
import { renderGround } from "./ground.js";

const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, children = []) => {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
};
let checkTimer = null;
let checkSeq = 0;
let formKey = null;
let siteFormGeneration = -1;

function setStatus(text, kind = "") {
  $("status").textContent = text;
  $("status").className = kind;
}

function adopt(site) {
  state.data = site.data;
  state.sha256 = site.sha256;
  state.savedJson = JSON.stringify(site.data);
  state.problems = site.problems;
  state.ground = site.ground;
  state.undo = [];
  state.selection = null;
  state.generation += 1;
  $("file").textContent = site.file + (site.exists ? "" : " (new file: not saved yet)");
  $("sha256").textContent = site.exists ? site.sha256 : "(no file yet)";
  $("version").textContent = site.data?.calibration?.version ?? "?";
}

async function loadStill(info) {
  const res = state.data?.camera?.resolution;
  const [w, h] = Array.isArray(res) && res.length === 2 && res.every(Number.isInteger) ? res : [info.width, info.height];
  view.canvas.width = w;
  view.canvas.height = h;
  view.image = await getImage(info.url);
  const note = $("frame-note");
  note.textContent = `frame: ${info.label}`;
  for (const text of [info.error, info.warning].filter(Boolean)) note.append(el("span", { className: "warning", textContent: ` — ${text}` }));
  refresh();
}

function scheduleCheck() {
  clearTimeout(checkTimer);
  document.body.dataset.busy = "1";
  checkTimer = setTimeout(runCheck, 200);
}

async function runCheck() {
  const seq = ++checkSeq;
  const reply = await postJson("/api/check", { data: state.data });
  if (seq !== checkSeq) return; // a newer check is on its way
  if (reply.ok) {
    state.problems = reply.body.problems;
    state.ground = reply.body.ground;
  } else {
    setStatus(`check failed: ${reply.status}`, "error");
  }
  showChecked();
  document.body.dataset.busy = "0";
}

function showChecked() {
  render();
  renderTags();
  renderProblems();
  renderItems();
  renderGround($("ground"), state.generation);
  showFieldProblems(document.querySelector("aside"), state.problems);
}

// The part of a problem's path below the shape it sits next to: "polygon", "world_points_m.6.0".
function tagLabel(loc) {
  const below = typeof loc[2] === "number" && loc[1] !== "homography" ? loc.slice(3) : loc.slice(2);
  return below.length ? below.join(".") : loc.join(".");
}

// Problem tags sit over the canvas next to the shape they concern.
function renderTags() {
  const layer = $("tags");
  layer.replaceChildren();
  const stacked = new Map();
  for (const problem of state.problems) {
    const at = anchorOf(problem.loc);
    if (!at) continue;
    const [x, y] = toScreen(at);
    const key = `${Math.round(x)}:${Math.round(y)}`;
    const n = stacked.get(key) ?? 0;
    stacked.set(key, n + 1);
    const tag = el("div", { className: "problem-tag", textContent: `${tagLabel(problem.loc)}: ${problem.reason}` });
    tag.dataset.field = problem.field;
    tag.style.left = `${x}px`;
    tag.style.top = `${y + n * 22}px`;
    layer.append(tag);
  }
}

function selectLoc(loc) {
  if (loc[0] !== "calibration") return;
  if (loc[1] === "homography" && typeof loc[3] === "number") state.selection = { kind: "ground", index: loc[3] };
  else if (KINDS[loc[1]] && typeof loc[2] === "number") state.selection = { kind: loc[1], index: loc[2] };
  refresh();
}

function renderProblems() {
  const list = $("problems");
  $("problem-count").textContent = state.problems.length ? `(${state.problems.length})` : "";
  list.replaceChildren(...state.problems.map((p) => {
    const li = el("li", { textContent: p.text });
    li.addEventListener("click", () => selectLoc(p.loc));
    return li;
  }));
  if (!state.problems.length) list.append(el("li", { className: "none", textContent: "No problems: this calibration can be saved." }));
}

function renderItems() {
  const box = $("items");
  const bad = new Set(state.problems.map((p) => `${p.loc[1]}:${p.loc[2]}`));
  box.replaceChildren(...Object.entries(KINDS).map(([kind, spec]) => el("div", { className: "kind" }, [
    el("strong", { textContent: `${spec.label}: ` }),
    ...items(kind).map((item, index) => {
      const chip = el("span", { className: "item", textContent: item.id ?? "(no id)" });
      chip.dataset.kind = kind;
      if (state.selection?.kind === kind && state.selection.index === index) chip.classList.add("selected");
      if (bad.has(`${kind}:${index}`)) chip.classList.add("bad");
      chip.addEventListener("click", () => { state.selection = { kind, index }; refresh(); });
      return chip;
    }),
  ])));
}

function renderSelected() {
  const sel = state.selection;
  const key = `${state.generation}:${sel?.kind}:${sel?.index}:${sel ? items(sel.kind === "ground" ? "lanes" : sel.kind).length : 0}`;
  if (key === formKey) return;
  formKey = key;
  const box = $("selected");
  if (!sel || sel.kind === "ground") {
    box.replaceChildren(el("p", { className: "muted", textContent: sel ? `Ground point P${sel.index}: type its metres in the table below.` : "Nothing selected: click a shape, or pick a tool and draw." }));
    return;
  }
  const item = items(sel.kind)[sel.index];
  if (!item) return box.replaceChildren();
  const spec = KINDS[sel.kind];
  box.replaceChildren(
    el("p", { textContent: `${spec.def} ${item.id ?? ""}` }),
    objectForm(state.schema, state.schema.$defs[spec.def], item, () => {}, `calibration.${sel.kind}.${sel.index}`,
      { onRename: (oldId, newId) => renameRefs(sel.kind, oldId, newId) }),
  );
}

function renderSiteForm() {
  if (siteFormGeneration === state.generation) return;
  siteFormGeneration = state.generation;
  const node = { properties: Object.fromEntries(["site", "camera", "articles"].map((k) => [k, state.schema.properties[k]])) };
  $("site-form").replaceChildren(objectForm(state.schema, node, state.data, () => {}, ""));
}

function refresh() {
  render();
  renderTags();
  renderProblems();
  renderItems();
  renderSelected();
  renderSiteForm();
  renderGround($("ground"), state.generation);
  showFieldProblems(document.querySelector("aside"), state.problems);
  document.querySelectorAll("#toolbar [data-tool]").forEach((b) => b.classList.toggle("active", b.dataset.tool === tool.name));
  $("hint").textContent = tool.hint;
}

async function save() {
  setStatus("saving…");
  const reply = await postJson("/api/save", { data: state.data, base_sha256: state.sha256 });
  if (!reply.ok) {
    if (Array.isArray(reply.body.problems)) state.problems = reply.body.problems;
    setStatus(reply.body.detail ?? `not saved (${reply.status})`, "error");
    return refresh();
  }
  const { version, sha256, history, reference, reference_problem } = reply.body;
  adopt(await getJson("/api/site")); // the file as written: defaults filled in, version bumped
  setStatus(`saved version ${version}, sha256 ${sha256.slice(0, 12)}…` + (history ? `; previous version kept as ${history}` : "")
    + (reference ? `; this still kept as its reference frame (${reference})` : `; ${reference_problem}`), "ok");
  refresh();
}

async function preview() {
  const reply = await postJson("/api/preview.png", { data: state.data });
  if (!reply.ok) return setStatus("no preview: fix the problems listed first", "error");
  $("preview-img").src = URL.createObjectURL(reply.body);
  $("preview-dialog").showModal();
}

function onKey(event) {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(event.target.tagName);
  if (event.key === "Escape") return setTool("select");
  if (typing) return;
  if (event.key === "Enter") finish();
  else if (event.key === "Delete" || event.key === "Backspace") removeSelected();
  else if ((event.ctrlKey || event.metaKey) && event.key === "z") undo();
  else return;
  event.preventDefault();
}

function wire() {
  document.querySelectorAll("#toolbar [data-tool]").forEach((b) => b.addEventListener("click", () => setTool(b.dataset.tool)));
  $("finish").addEventListener("click", finish);
  $("delete").addEventListener("click", removeSelected);
  $("undo").addEventListener("click", undo);
  $("refresh").addEventListener("click", async () => loadStill(await postJson("/api/still/next", {}).then((r) => r.body)));
  $("preview").addEventListener("click", preview);
  $("save").addEventListener("click", save);
  $("add-restriction").addEventListener("click", () => addItem("restrictions", { id: nextId("restrictions"), kind: "busway", lanes: [], allowed_classes: ["bus"], windows: [] }));
  $("add-signal").addEventListener("click", () => addItem("signals", { id: nextId("signals"), source: "controller" }));
  document.addEventListener("keydown", onKey);
  window.addEventListener("resize", renderTags);
  window.addEventListener("beforeunload", (event) => { if (dirty()) event.preventDefault(); });
  onChange(() => { refresh(); scheduleCheck(); });
  tool.listeners.push(refresh);
}

async function main() {
  setup($("canvas"));
  install($("canvas"));
  wire();
  const [schema, site] = await Promise.all([getJson("/api/schema"), getJson("/api/site")]);
  state.schema = schema;
  adopt(site);
  await loadStill(await getJson("/api/still"));
  document.body.dataset.busy = "0";
  document.body.dataset.ready = "1";
}

main().catch((error) => setStatus(`cannot start: ${error.message}`, "error"));
