# Two commands on a fresh clone: `make run` and `make test`. Each does all its own set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 3

.PHONY: run test install install-test messages clean bench-tally bench-load bench-scale

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[postgres]'
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet -e '.[postgres,test]'
	touch $@ $(VENV)/.installed

# The Welsh catalogue is kept as text (.po); the app reads it compiled (.mo, not in git).
PO := $(wildcard pb/translations/*/LC_MESSAGES/messages.po)
MO := $(PO:.po=.mo)

pb/translations/%/LC_MESSAGES/messages.mo: pb/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -d pb/translations -l $* 2>&1 | grep -v '^compiling' || true
	@test -f $@

# The browser tests (tests/browser) drive Debian's chromium package, never a browser that a
# test tool downloads. Set PB_CHROMIUM to use another Chromium binary. Liberation Sans has
# Arial's measurements, so pages are laid out (and screenshots look) as residents see them.
export PB_CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core fonts-liberation

$(PB_CHROMIUM):
	@echo "Installing Debian's chromium for the browser tests"
	$(APT_INSTALL) || ($(SUDO) apt-get update -q && $(APT_INSTALL))
	@test -x $@

install: $(VENV)/.installed $(MO)
install-test: $(VENV)/.installed-test $(MO) $(PB_CHROMIUM)

# After changing user-facing text: gather it and add the new messages to each catalogue.
messages: $(VENV)/.installed
	mkdir -p build
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-wrap --sort-by-file \
		--project "Community budget" -o build/messages.pot .
	$(BIN)/pybabel update --no-wrap --no-fuzzy-matching -i build/messages.pot -d pb/translations

run: install
	$(BIN)/pb db upgrade
	$(BIN)/pb demo
	@echo "Serving at http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	$(BIN)/pb serve --workers $(WORKERS) --bind $(HOST):$(PORT)

test: install-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

# Benchmarks (BENCHMARKS.md): each sets itself up and prints its figures. They need the peer,
# pabutools (a test dependency), and PostgreSQL on loopback for the PostgreSQL rows.
# Pass options with BENCH_ARGS, e.g. `make bench-load BENCH_ARGS="--backend sqlite"`.
bench-tally: install-test
	$(BIN)/python bench/tally.py $(BENCH_ARGS)

bench-load: install-test
	$(BIN)/python bench/load.py $(BENCH_ARGS)

bench-scale: install-test
	$(BIN)/python bench/scale.py $(BENCH_ARGS)
