#!/usr/bin/env bash
# Regenerate python/requirements.lock from python/requirements.in: resolve in a throwaway venv with
# the project's Python 3.11 and freeze exact versions. Commit both files together.
# Usage: scripts/lock-python.sh [--upgrade]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
python="${SKILLDELTA_BASE_PYTHON:-python3.11}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$python" -m venv "$tmp/venv"
# keep existing pins (the current lock as constraints) unless --upgrade: adding one package should
# not move every other one
constraints=()
if [[ "${1:-}" != "--upgrade" && -f "$root/python/requirements.lock" ]]; then
  grep '==' "$root/python/requirements.lock" > "$tmp/constraints.txt"
  constraints=(-c "$tmp/constraints.txt")
fi
"$tmp/venv/bin/python" -m pip install --disable-pip-version-check --quiet -r "$root/python/requirements.in" "${constraints[@]}"
{
  echo "# Generated from requirements.in by scripts/lock-python.sh — do not edit by hand."
  echo "# Python 3.11, linux x86_64."
  "$tmp/venv/bin/python" -m pip freeze --disable-pip-version-check --all --exclude pip --exclude setuptools --exclude wheel | LC_ALL=C sort -f
} > "$root/python/requirements.lock"
echo "wrote python/requirements.lock ($(grep -c '==' "$root/python/requirements.lock") packages)"
