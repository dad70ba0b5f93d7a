// The JSON API of `etle-edge calibrate`. The token (only needed when the tool listens beyond
// this machine) comes from the address the tool printed, ?token=..., and goes in a header.
const token = new URLSearchParams(location.search).get("token");

function headers(extra = {}) {
  return token ? { ...extra, "X-Calibrate-Token": token } : extra;
}

export async function getJson(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

// Returns {ok, status, body}: callers show the server's reasons instead of throwing them away.
export async function postJson(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
  });
  const type = response.headers.get("content-type") || "";
  const payload = type.includes("json") ? await response.json() : await response.blob();
  return { ok: response.ok, status: response.status, body: payload };
}

export async function getImage(path) {
  const response = await fetch(path, { headers: headers() });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return createImageBitmap(await response.blob());
}
