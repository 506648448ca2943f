#!/usr/bin/env bash
# Builds the corpus from nothing and continues training the shipped models on it, then exports them.
# Resumable: finished steps are skipped, training resumes from its checkpoints.
#
#   train/build.sh            everything: packages -> corpus -> token files -> train (both phases) -> export
#   train/build.sh data       packages -> corpus -> vocabulary and start weights from models/*.gguf -> token files
#   train/build.sh train      the two training phases (resumes; run it in the background, see docs/training.md)
#   train/build.sh export     export the checkpoints to train/out/*.gguf (+ self-check)
#   train/build.sh eval       held-out loss / top-1 of both checkpoints -> train/out/eval.json
#   train/build.sh samples    greedy completions of the model-card prompts -> train/out/samples-*.md
#   train/build.sh quality    generation quality of the exported target on the Java engine -> train/out/quality.json
#
# Training state (checkpoints, train.log) lives in $RSD_TRAIN_STATE (default train/out/state); the
# phase-1 models that were shipped are copied to $RSD_TRAIN_STATE/phase1/ when phase 1 ends.
# The vocabulary and the start weights come from the shipped GGUFs (models/), so training continues
# from them with exactly their token ids; docs/training.md explains how those were trained from scratch.
#
# Needs Debian (apt-get, run as root for the packages), /usr/bin/python3 with python3-torch,
# python3-numpy and python3-regex, and the jtokkit jar in ~/.m2 (cl100k_base ranks; any Maven build
# of rsd fetches it). Everything generated stays in train/data and train/out (git-ignored).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
TYPE=${RSD_GGUF_TYPE:-q8_0}
STATE=${RSD_TRAIN_STATE:-out/state}
export OMP_WAIT_POLICY=PASSIVE

packages() {
  local missing=()
  for p in python3-torch python3-numpy python3-regex \
      $($PY -c 'import corpus; print(" ".join(corpus.DEBIAN_PACKAGES))'); do  # corpus.py: stdlib only
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "build.sh: installing ${missing[*]}" >&2
    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

data() {
  packages
  $PY -m unittest -q test_bpe
  [ -f data/corpus/train.jsonl ] || $PY corpus.py
  mkdir -p out "$STATE/init"
  [ -f out/vocab.json ] || $PY gguf_to_ckpt.py ../models/rsd-code.gguf "$STATE/init/target.pt" --vocab-out out/vocab.json
  [ -f "$STATE/init/target.pt" ] || $PY gguf_to_ckpt.py ../models/rsd-code.gguf "$STATE/init/target.pt"
  [ -f "$STATE/init/draft.pt" ] || $PY gguf_to_ckpt.py ../models/rsd-code-draft.gguf "$STATE/init/draft.pt"
  [ -f data/train.bin ] || $PY pretokenize.py
}

# Both phases train target and draft on the same batches: 512-token windows, 2 per step, 30 % of the
# rows from the function samples. Phase 1 is a short cosine from the shipped weights (what was
# shipped); phase 2 a warm restart into one pass over the corpus (about 17 h on a 2-core CPU).
COMMON=(--models target,draft --out "$STATE" --init "$STATE/init" --seq 512 --batch 2
        --mix data/functions-train.bin:0.3 --eval-minutes 15 --pid-file "${RSD_TRAIN_PID:-$STATE/train.pid}")
train() {
  # Phase 1 is what the shipped models are, and a fresh state starts from them: it is only run to
  # finish a phase 1 that an earlier state began (a checkpoint without the phase-1 copy).
  if [ -f "$STATE/target.pt" ] && [ ! -f "$STATE/phase1/target.pt" ]; then
    $PY train.py "${COMMON[@]}" --phase p1 --schedule-tokens 1843200 --lr-scale 0.33 --warmup 60
    mkdir -p "$STATE/phase1"
    cp "$STATE/target.pt" "$STATE/draft.pt" "$STATE/phase1/"
  fi
  $PY train.py "${COMMON[@]}" --phase p2 --schedule-tokens 36000000 --lr-scale 0.33 --warmup 100
}

export_models() {
  $PY export_gguf.py --ckpt "${1:-$STATE}/target.pt" --out out/rsd-code.gguf --name rsd-code --type "$TYPE"
  $PY export_gguf.py --ckpt "${1:-$STATE}/draft.pt" --out out/rsd-code-draft.gguf --name rsd-code-draft --type "$TYPE"
}

case "${1:-all}" in
  data) data ;;
  train) train ;;
  export) export_models "${2:-}" ;;
  eval) $PY evaluate.py "$STATE/target.pt" "$STATE/draft.pt" --json out/eval.json ;;
  samples)
    $PY samples.py "$STATE/target.pt" --markdown out/samples-target.md
    $PY samples.py "$STATE/draft.pt" --markdown out/samples-draft.md ;;
  quality) $PY quality.py --gguf out/rsd-code.gguf --json out/quality.json ;;
  all) data; train; export_models ;;
  *) echo "usage: train/build.sh [all|data|train|export [STATE_DIR]|eval|samples|quality]" >&2; exit 2 ;;
esac
