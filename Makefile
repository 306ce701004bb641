# Two commands on a fresh machine:  make book  (build the website)  and  make test  (run every test).
# Both create the virtual environment .venv and seed the data cache first.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
BOOK_FLAGS := --all -W -n --keep-going
SHARED_DATA ?= ../shared/data

# TensorFlow's start-up noise stays off the pages and the test output.
export TF_CPP_MIN_LOG_LEVEL := 3
# The website is built with TensorFlow's oneDNN kernels on, its default on x86 Linux and what a
# reader's Jupyter uses; nbval in `make test` executes the chapters with them off, whatever the
# shell has set, and its website test builds the book with them on: both paths run on every test.
BOOK_ENV := TF_ENABLE_ONEDNN_OPTS=1
TEST_ENV := TF_ENABLE_ONEDNN_OPTS=0
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup data book test sweep pdf lab lint strip checked-outputs browser clean

help:
	@echo "make book    set up .venv and build the website into _build/html"
	@echo "make test    set up .venv and run every test (unit, lint, notebooks, website)"
	@echo "make pdf     the whole book as one PDF (_build/pdf/sequence-models.pdf)"
	@echo "make sweep   execute every chapter under 10 seed and kernel settings, report claims"
	@echo "make lab     open Jupyter Lab in the course environment"
	@echo "make lint    ruff on utils/, tests/, benchmarks/, tools/ and the notebooks"
	@echo "make checked-outputs NB=chapters/NN_x.ipynb   refresh a notebook's checked outputs"

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --disable-pip-version-check -q -r requirements.txt
	$(PY) -m pip install --disable-pip-version-check -q --no-deps -e .
	touch $@

setup: $(VENV)/.installed

data: setup
	$(PY) -m utils.data --seed-from $(SHARED_DATA)

browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium for the website test"; \
	  (apt-get install -y -q chromium >/dev/null 2>&1 || \
	   (apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null)); \
	else echo "chromium is not installed: the website test will be skipped (sudo apt-get install chromium)"; fi

book: data
	$(BOOK_ENV) $(VENV)/bin/jupyter-book build . $(BOOK_FLAGS)

test: data browser
	$(TEST_ENV) $(PY) -m pytest

pdf: data browser
	$(BOOK_ENV) $(VENV)/bin/jupyter-book build . --builder singlehtml -n --keep-going
	$(PY) tools/make_pdf.py

sweep: data
	$(PY) tools/sweep.py $(if $(CHAPTERS),--chapters $(CHAPTERS))

lab: data
	$(VENV)/bin/jupyter lab

lint: setup
	$(VENV)/bin/ruff check utils tests benchmarks tools _ext chapters appendices

strip: setup
	$(PY) tools/notebook_outputs.py strip chapters/*.ipynb

checked-outputs: data
	$(TEST_ENV) $(PY) tools/notebook_outputs.py refresh $(NB)

clean:
	rm -rf _build
