#!/usr/bin/env bash
# Regenerates the report screenshots (analyze.png, bench-report.png) from real runs of a model:
#   docs/report-screenshots.sh [MODEL.gguf] [OUT_DIR] [MODE]
# Defaults: the embedded model, docs/, the generate command's default mode. Needs chromium.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
model="${1:-$here/models/rsd-code.gguf}"
dest="${2:-$here/docs}"
mode=(); [ -n "${3:-}" ] && mode=(--mode "$3")
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$here/rsd" bench --model "$model" --limit 20 --json "$work/bench.json" >/dev/null
"$here/rsd" analyze --bench "$work/bench.json" --out "$work/bench.html"
"$here/rsd" generate --model "$model" "${mode[@]}" --prompt-file "$here/rsd-cli/src/test/resources/rsd/report/sample-prompt.py" \
  --max-tokens 200 --trace "$work/run.jsonl" --no-color >/dev/null
"$here/rsd" analyze --model "$model" --trace "$work/run.jsonl" --out "$work/run.html"

shot() {
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/profile-$2" --window-size=1280,2000 \
    --screenshot="$dest/$2" "file://$1" 2>/dev/null >/dev/null
}
mkdir -p "$dest"
shot "$work/run.html" analyze.png
shot "$work/bench.html" bench-report.png
ls -l "$dest/analyze.png" "$dest/bench-report.png"
