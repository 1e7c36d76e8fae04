# The README's two commands are `make demo` and `make test`; both set up from nothing.
# `make docs` builds the documentation site (running the gallery) into docs/_build/html.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.skae-installed
JAX_VENV := .venv-jax
JAX_STAMP := $(JAX_VENV)/.skae-installed
# Two pytest workers, one thread each: the CI machine has two cores, and skae
# sizes TensorFlow's thread pools by OMP_NUM_THREADS. loadgroup keeps the
# tests of one reference case in one worker, which reuses its first run.
PYTEST_ARGS := -n 2 --dist loadgroup
JAX_ENV := KERAS_BACKEND=jax OMP_NUM_THREADS=1 XLA_FLAGS="--xla_cpu_multi_thread_eigen=false"
# `make test` on the JAX backend: the saved reference outputs, where XLA's
# CPU rounding shows (the JAX engine's own tests: `make test-jax-subset`).
JAX_CORE := tests/test_reference.py
# A wider part of the suite on JAX (`make test-jax-subset`, run by CI; the
# whole suite: `make test-jax`).
JAX_SUBSET := tests/test_base.py tests/test_dense.py tests/test_streaming.py tests/test_vae.py tests/test_reference.py tests/test_custom_networks.py tests/test_engine.py tests/test_incremental.py tests/test_sample_weight.py \
	"tests/test_onnx.py::test_autoencoder[dense-whiten]" \
	tests/test_onnx.py::test_column_transformer_and_pipeline_with_classifier \
	tests/test_conv.py::test_translated_moves_each_image_by_its_offset \
	tests/test_conv.py::test_auto_translate_is_off_for_digits_and_on_for_smooth_images \
	tests/test_sequence.py::test_init_auto_trains_again_from_pca_where_pca_reconstructs_better \
	tests/test_sequence.py::test_a_fit_started_at_pca_continues_with_its_maps_fixed \
	tests/test_impute.py::test_code_steps_impute_from_the_codes_fitted_to_the_observed_entries \
	tests/test_impute.py::test_the_compiled_code_fit_is_keras_adam_through_model_fit \
	tests/test_impute.py::test_a_rows_code_does_not_depend_on_the_other_rows \
	tests/test_impute.py::test_auto_code_steps_are_chosen_on_the_rows_the_fit_held_out

comma := ,

# Python caches the compiled tests and skae (and pytest its assertion
# rewrites) in __pycache__, ignored by git. Where the environment sets
# PYTHONDONTWRITEBYTECODE, every test process compiled them anew: 1.5 s of
# each worker's start-up, measured.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install demo test test-processes test-jax-subset test-jax test-isa docs docs-check bench lint format clean

install: $(STAMP)

# uv resolves the same releases as pip and installs them in parallel: on
# the CI machine the set-up takes about 23 s instead of 49 s. Where uv cannot
# reach its index, pip (with this machine's own pip configuration) installs.
define install_into
	$(1)/bin/python -m pip install --quiet uv
	$(1)/bin/python -m uv pip install --quiet --compile-bytecode --python $(1)/bin/python -e ".[$(2)]" \
		|| $(1)/bin/python -m pip install --quiet -e ".[$(2)]"
endef

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(call install_into,$(VENV),test)
	touch $(STAMP)

demo: install
	$(PY) -m skae demo

# The tests and the docstrings' Examples (doctest; skae/_keras holds no public
# API and imports a backend), then the docs without running the gallery, with
# warnings as errors, so that a broken reference fails, then the reference
# outputs on JAX. The docs build (one core, about 9 s) runs beside the JAX
# tests, whose two workers leave a core idle while one compiles the longest
# case: 27 s for both instead of 38 s; either failing fails the target. The
# tests that start other Python processes (marked fresh_process: each
# imports TensorFlow anew, about 5 s) are left to `make test-processes`,
# which CI runs after this; so `make test` stays within 6 minutes on 2 cores.
test: install
	OMP_NUM_THREADS=1 $(PY) -m pytest $(PYTEST_ARGS) -m "not fresh_process" --doctest-modules tests skae --ignore=skae/_keras
	$(PY) -m sphinx -W --keep-going -q -b html -D plot_gallery=0 docs docs/_build/html-check & docs=$$!; \
	$(JAX_ENV) $(PY) -m pytest $(PYTEST_ARGS) -m "not tensorflow and not fresh_process" $(JAX_CORE); \
	tests=$$?; wait $$docs || { echo "make test: the docs build failed"; exit 1; }; exit $$tests

# The tests that start fresh interpreters, the command line, a Dask cluster
# and joblib's process workers (about 2 minutes), on TensorFlow.
test-processes: install
	OMP_NUM_THREADS=1 $(PY) -m pytest $(PYTEST_ARGS) -m fresh_process tests

test-jax-subset: install
	$(JAX_ENV) $(PY) -m pytest $(PYTEST_ARGS) -m "not tensorflow" $(JAX_SUBSET)

# The saved reference outputs under the instruction sets that round
# otherwise (XLA and oneDNN compile for the CPU they run on): JAX with XLA
# capped at SSE4.2, AVX2 and AVX-512, TensorFlow with oneDNN capped at AVX2
# and with oneDNN off (CI runs them; `make test-jax-subset` runs the
# SSE4.2 case).
ISA_CHECK := -m pytest -q -p no:cacheprovider tests/test_reference.py -k match_the_saved_reference
test-isa: install
	for isa in SSE4_2 AVX2 AVX512; do \
		$(JAX_ENV) XLA_FLAGS="--xla_cpu_multi_thread_eigen=false --xla_cpu_max_isa=$$isa" \
			$(PY) $(ISA_CHECK) || exit 1; \
	done
	OMP_NUM_THREADS=1 ONEDNN_MAX_CPU_ISA=AVX2 $(PY) $(ISA_CHECK)
	OMP_NUM_THREADS=1 TF_ENABLE_ONEDNN_OPTS=0 $(PY) $(ISA_CHECK)

# The test suite on Keras' JAX backend, in its own environment; the tests
# marked `tensorflow` (TensorFlow's own thread pools) are left out.
$(JAX_STAMP): pyproject.toml
	test -x $(JAX_VENV)/bin/python || $(PYTHON) -m venv $(JAX_VENV)
	$(call install_into,$(JAX_VENV),test$(comma)jax)
	touch $(JAX_STAMP)

test-jax: $(JAX_STAMP)
	$(JAX_ENV) $(JAX_VENV)/bin/python -m pytest $(PYTEST_ARGS) -m "not tensorflow"

docs: install
	$(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

# The built site in headless Chromium at 1400 and 400 px (tools/check_docs_in_browser.py):
# tables that overflow their column, class pages without their mini-gallery, ...
# Needs a Chromium binary (apt-get install chromium; or CHROMIUM=/path/to/chromium).
docs-check: docs
	$(PY) -c "import playwright" 2>/dev/null \
		|| $(PY) -m uv pip install --quiet --python $(PY) -e ".[docs-check]" \
		|| $(PY) -m pip install --quiet -e ".[docs-check]"
	$(PY) tools/check_docs_in_browser.py

bench: install
	$(PY) -m skae bench
	$(PY) benchmarks/update_readme.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(JAX_VENV) build *.egg-info .pytest_cache .ruff_cache
	rm -rf docs/_build docs/generated docs/auto_examples docs/sg_execution_times.rst
