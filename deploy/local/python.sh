#!/usr/bin/env bash
# Creates .venv with Python 3.11 and installs the project with its pinned dependency set, when missing or
# when pyproject.toml / requirements.lock changed since the last install.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
python_bin="${PYTHON:-python3.11}"
command -v "$python_bin" >/dev/null || python_bin=python3
stamp=.venv/.installed
want=$(cat pyproject.toml requirements.lock | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
if [ ! -x .venv/bin/python ]; then
  echo "[python] creating .venv"
  "$python_bin" -m venv .venv
fi
echo "[python] installing pinned dependencies (requirements.lock)"
.venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
echo "$want" >"$stamp"
