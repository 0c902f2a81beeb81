# Two commands matter: `make report` and `make test`. Both set everything up on a fresh clone
# that has only python3 and make (and, for the browser test, Debian's apt).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
KERNEL := smarketing

.PHONY: setup report test quick lab data bench browser java clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python ($(KERNEL))"
	touch $(STAMP)

setup: $(STAMP)

## The default dataset (simulated, deterministic per seed) in data/default/
data: setup
	$(BIN)/python -c "from smlib.io import ensure_default_dataset; print(ensure_default_dataset())"

## Run every report in reports.toml on the default data; HTML lands in reports/<run-id>/ and reports/latest
report: data
	$(BIN)/smlib report run

## Headless Chromium for the real-browser report test (Debian package; needs root or sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

## Java 17 for PySpark local mode (the engine conformance test; Debian package; needs root or sudo)
java:
	@command -v java >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && { DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null \
	  || DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq default-jre-headless >/dev/null; }; }

## The whole suite: unit tests, end-to-end report tests, browser test, nbval over every notebook
test: setup browser java data
	$(BIN)/python -m pytest tests notebooks --nbval-lax --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  --ignore=tests/notebooks -p no:cacheprovider --durations=25

## The quick loop while developing: every test not marked slow (no notebooks, no browser)
quick: setup data
	$(BIN)/python -m pytest tests -m "not slow and not browser" -q -p no:cacheprovider

## JupyterLab on the project's kernel, for analysts
lab: setup
	$(BIN)/jupyter lab --notebook-dir=notebooks

## Speed figures (prints wall time and peak memory); `pip install -e .[bench]` adds ChannelAttribution
bench: setup
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	for b in benchmarks/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) data/default
