#!/usr/bin/env bash
# Reproduces the shipped models: corpus -> vocabulary -> token files -> training (target + draft)
# -> GGUF export. Resumable: finished steps are skipped, training resumes from its checkpoints.
#
#   train/build.sh            everything (training runs in the foreground until its schedule ends)
#   train/build.sh export     export the latest checkpoints to train/out/*.gguf (+ self-check)
#   train/build.sh eval       held-out loss / top-1 of both checkpoints -> train/out/eval.json
#   train/build.sh samples    greedy completions of the model-card prompts -> train/out/samples-*.md
#
# Needs Debian's /usr/bin/python3 with python3-torch, python3-numpy and python3-regex, and the
# jtokkit jar in ~/.m2 (cl100k_base ranks). Everything generated stays in train/data and
# train/out (git-ignored).
set -euo pipefail
cd "$(dirname "$0")"
PY=/usr/bin/python3
TYPE=${RSD_GGUF_TYPE:-f16}

export_models() {
  $PY export_gguf.py --ckpt out/target.pt --out out/rsd-code.gguf --name rsd-code --type "$TYPE"
  $PY export_gguf.py --ckpt out/draft.pt --out out/rsd-code-draft.gguf --name rsd-code-draft --type "$TYPE"
}

case "${1:-all}" in
  export) export_models; exit 0 ;;
  eval) $PY evaluate.py out/target.pt out/draft.pt --json out/eval.json; exit 0 ;;
  samples)
    $PY samples.py out/target.pt --markdown out/samples-target.md
    $PY samples.py out/draft.pt --markdown out/samples-draft.md
    exit 0 ;;
  all) ;;
  *) echo "usage: train/build.sh [all|export|eval|samples]" >&2; exit 2 ;;
esac

$PY -m unittest -q test_bpe
[ -f data/corpus/train.jsonl ] || $PY corpus.py
[ -f out/vocab.json ] || $PY vocab.py
[ -f data/train.bin ] || $PY pretokenize.py
# The shipped models' schedule history, phase by phase (each phase resumes from the checkpoints and
# stops at its step; rerunning skips finished phases): see docs/training.md.
export OMP_WAIT_POLICY=PASSIVE
$PY train.py --models target,draft --seq 256 --batch 4 --warmup 30 --epochs 1 --max-steps 1149
$PY train.py --models target,draft --seq 256 --batch 4 --warmup 30 --epochs 0.7
$PY train.py --models target,draft --seq 1024 --batch 1 --warmup 30 --epochs 2.0 --max-steps 4091
$PY train.py --models target,draft --seq 1024 --batch 1 --warmup 30 --epochs 1.75 --max-steps 8104
$PY train.py --models target,draft --seq 1024 --batch 1 --warmup 30 --epochs 2.6
export_models
