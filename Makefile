# One command to set up and run the main job, one to set up and run the tests.
# The virtual environment is created on first use and the project installed into it (editable,
# with every optional part); it is refilled when requirements.txt or pyproject.toml change.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# make gpu-env: the torch version pyproject.toml pins, as PyPI's Linux wheel, which is the CUDA
# build (CUDA 13, with its nvidia libraries). '===' asks for exactly that version, not a local
# CPU build such as 2.13.0+cpu. Another CUDA version comes from PyTorch's index, e.g.
# make gpu-env TORCH_INDEX=https://download.pytorch.org/whl/cu126 TORCH_SPEC=torch==2.13.0+cu126
TORCH_VERSION := $(shell sed -n 's/.*"torch==\([0-9.]*\)".*/\1/p' pyproject.toml)
TORCH_INDEX ?= https://pypi.org/simple
TORCH_SPEC ?= torch===$(TORCH_VERSION)

.PHONY: run test test-all browser gpu-env ablation clean

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -r requirements.txt
	touch $@

run: $(VENV)/.installed  ## train INN on the embedded breast-cancer data and write its result
	$(PY) main_experiment.py --output_dir runs --overwrite

# Two tiers. `make test`: lint and every behaviour in fast tests (a few minutes on 2 cores).
# `make test-all` (what CI runs): the same and the slow end-to-end checks (scripts, suites killed
# and resumed, Ray, pages in a headless browser). Both spread the tests over the cores.
PYTEST := $(PY) -m pytest -q -n auto --dist loadgroup

test: $(VENV)/.installed  ## lint and run the fast tests
	$(PY) -m ruff check .
	$(PYTEST) -m "not slow"

test-all: $(VENV)/.installed browser  ## lint and run every test, the slow ones too
	$(PY) -m ruff check .
	$(PYTEST)

# Without root (or apt) the page tests skip and say why; on CI (CI=true) they fail instead.
browser:  ## Debian's Chromium and its driver, for the page tests (installed when absent)
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update -qq && apt-get install -y -qq chromium chromium-driver; } || \
		echo "Chromium not installed: the browser tests will skip (fail with CI=true)"

gpu-env: $(VENV)/.installed  ## the same environment with the CUDA build of torch (GPU machines)
	$(PY) -m pip install "$(TORCH_SPEC)" --index-url $(TORCH_INDEX)
	$(PY) -c "import torch; print(f'torch {torch.__version__}, CUDA build {torch.version.cuda},', \
		f'GPU: {torch.cuda.get_device_name(0)}' if torch.cuda.is_available() else \
		'no CUDA GPU visible here')"

ablation: $(VENV)/.installed  ## the accuracy-lever and explanation ablations; long (hours)
	$(PY) benchmarks/store_ablation.py --main_dir results --output_dir results/ablation_store \
		--variants previous +robust +ple +shape +fast_shared default tabresnet --seeds 0 1 2
	$(PY) xai_experiment.py --ablation --seeds 0 1 2 --output_dir results/ablation \
		--variants plain global_bias consistency consistency_half default

clean:
	rm -rf $(VENV) .pytest_cache
