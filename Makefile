# Everything runs in .venv at the repo root; each target installs first if needed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast bench lab images release clean

$(STAMP): requirements.txt requirements-lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements-lock.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Stylise a bundled photo with a bundled style on the bundled network (offline); writes output/.
demo: $(STAMP)
	$(PY) -m nst_utils.demo

## The whole suite: unit tests, then nbval over the source notebooks.
test: $(STAMP)
	$(PY) -m pytest tests notebooks

## The fast subset for the development loop (no notebooks, no end-to-end run).
test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not slow"

## Speed and memory figures (prints them; no pass/fail).
bench: $(STAMP)
	$(PY) benchmarks/bench.py

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

## Regenerate the bundled images and lesson figures.
images: $(STAMP)
	$(PY) scripts/make_images.py
	$(PY) scripts/make_figures.py

clean:
	rm -rf output build *.egg-info
