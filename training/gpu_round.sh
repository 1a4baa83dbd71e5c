#!/usr/bin/env bash
# Train the reader from a pack (python -m training.pack) on a machine with a GPU: three learning rates,
# all twelve layers, three epochs per stage, batches of 32. Each run writes its metrics; the two best by
# validation (release span accuracy + KorQuAD F1/100) are kept under OUT, their weights split in 15 MB
# parts (cat reader.part.* > reader.safetensors). Usage: training/gpu_round.sh PACK OUT
set -euo pipefail
pack=$1 out=$2
mkdir -p "$out"
export PYTHONUNBUFFERED=1
for lr in 1e-4 5e-5 2e-4; do
  name=lr$lr
  python3 -m training.train_reader --pack "$pack" --device cuda --train-from-layer 0 --lr "$lr" \
    --batch-size 32 --korquad-epochs 3 --domain-epochs 3 --save-every 400 \
    --work "var/train/gpu-$name" --out "var/train/gpu-$name/out" 2>&1 | grep -v "it/s\]" || true
  mkdir -p "$out/$name"
  cp "var/train/gpu-$name/out/reader.json" "$out/$name/"
  (cd "$out/$name" && split -b 15M "$OLDPWD/var/train/gpu-$name/out/reader.safetensors" reader.part.)
  # keep the parts of the two best runs so far
  python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
def score(d):
    m = json.loads((d / "reader.json").read_text())["metrics"]
    return m["domain_val"]["span_correct"] + m["korquad_val"]["f1"] / 100
runs = sorted((d for d in out.iterdir() if (d / "reader.json").is_file()), key=score, reverse=True)
for d in runs:
    print(d.name, round(score(d), 4))
for d in runs[2:]:
    for part in d.glob("reader.part.*"):
        part.unlink()
PY
done
