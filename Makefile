# One command to set up and run the main job, one to set up and run the tests.
# The virtual environment is created on first use and the project installed into it (editable,
# with every optional part); it is refilled when requirements.txt or pyproject.toml change.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test ablation clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $@

run: $(VENV)/.installed  ## train INN on the embedded breast-cancer data and write its result
	$(PY) main_experiment.py

test: $(VENV)/.installed  ## lint and run the test suite
	$(PY) -m ruff check .
	$(PY) -m pytest -q

ablation: $(VENV)/.installed  ## the explanation ablation (synthetic benchmarks + store accuracy); long
	$(PY) xai_experiment.py --ablation --seeds 0 1 2 --output_dir results/ablation \
		--variants plain global_bias consistency consistency_half
	$(PY) benchmarks/store_ablation.py --variants plain global_bias consistency consistency_half \
		--seeds 0 1 2 --output_dir results/ablation/store

clean:
	rm -rf $(VENV) .pytest_cache
