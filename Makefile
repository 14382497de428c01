# Everything runs in .venv at the repo root; each target installs first if needed.
# The Python that builds .venv: by default the first supported one found (scripts/find_python.sh).
PYTHON ?=
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast bench gallery lab images release notebooks course clean

$(STAMP): requirements.txt requirements-lock.txt pyproject.toml
	@test -x $(PY) || { py=$$(sh scripts/find_python.sh $(PYTHON)) && echo "$$py -m venv $(VENV)" && { $$py -m venv $(VENV) || { rm -rf $(VENV); exit 1; }; }; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c requirements-lock.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

## Stylise a bundled photo with a bundled style on the bundled network (offline); writes output/.
demo: $(STAMP)
	$(PY) -m nst_utils.demo

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg --ignore=notebooks/assignments

## The whole suite: unit tests, learner copies, and nbval over every source notebook (the long optimisations
## run short: nst_utils/short_run.py), on two workers (a test file, or a notebook, stays on one worker: nbval runs a
## notebook's cells in order in one kernel); ends with its 15 slowest tests.
test: $(STAMP)
	$(PY) -m pytest $(NBVAL) -n 2 --dist loadfile --durations=15 tests notebooks

## The fast subset for the development loop (no notebooks, no end-to-end run), on two workers.
test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not slow" -n 2

## Speed and memory figures (prints them; no pass/fail).
bench: $(STAMP)
	$(PY) benchmarks/bench.py

## The art benchmark: every bundled photo (and a portrait, a landscape) with every style, the nst command's
## defaults, one contact sheet with figures: output/gallery/ (SIZE=256 for a quicker look).
SIZE ?= 512
gallery: $(STAMP)
	$(PY) scripts/gallery.py --size $(SIZE)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/

## Learner copies (notebooks/assignments/) from the source notebooks; run after editing a source.
release: $(STAMP)
	$(PY) scripts/release.py

## Re-run every source notebook in place (stored outputs), then regenerate the learner copies.
notebooks: $(STAMP)
	cd notebooks && for nb in [0-9][0-9]_*.ipynb; do ../$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace $$nb || exit 1; done
	$(PY) scripts/release.py

## An nbgrader course for teachers (README, "For teachers"): make course COURSE=~/nst-course [NOTEBOOKS="01 02"]
COURSE ?= $(HOME)/nst-course
course: $(STAMP)
	$(PY) scripts/make_course.py "$(COURSE)" $(NOTEBOOKS)

## Regenerate the bundled images and lesson figures.
images: $(STAMP)
	$(PY) scripts/make_images.py
	$(PY) scripts/make_figures.py

clean:
	rm -rf output build *.egg-info
