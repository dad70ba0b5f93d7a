# Sourced by scripts/demo, scripts/test and scripts/bench: make .venv and install the project
# with the given extras, skipping pip when pyproject.toml and the extras have not changed.
# Usage: ensure_venv "<extras, e.g. dev,ocr,ultralytics or empty>"
ensure_venv() {
  local extras="$1"
  local root; root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  local venv="$root/.venv"
  if [ ! -x "$venv/bin/python" ]; then
    echo "creating $venv"
    python3.11 -m venv "$venv" 2>/dev/null || python3 -m venv "$venv"
  fi
  local want; want="$( (cat "$root/pyproject.toml"; echo "extras=$extras") | sha256sum | cut -d' ' -f1)"
  local stamp="$venv/.etle-installed"
  if [ -f "$stamp" ] && grep -qx "$want" "$stamp"; then
    return 0
  fi
  echo "installing etle-edge${extras:+[$extras]} into .venv (first run takes a while)"
  local spec="$root"; [ -n "$extras" ] && spec="$root[$extras]"
  local log="$venv/pip-install.log"
  # pip's own chatter goes to a log; it is shown only when the install fails.
  if ! { "$venv/bin/python" -m pip install --disable-pip-version-check --upgrade pip &&
         "$venv/bin/python" -m pip install --disable-pip-version-check -e "$spec"; } >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    echo "pip install failed; full log: $log" >&2
    return 1
  fi
  echo "$want" >> "$stamp"
}
