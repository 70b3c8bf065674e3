# gi-pipeline: `make run` and `make test` on a fresh machine with Python >= 3.11.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp
DAGSTER_DEV_HOME := $(CURDIR)/.dagster_home
DEV_PORT ?= 3000

.PHONY: venv run test lint dev clean

venv: $(STAMP)

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gi-pipeline needs Python >= 3.11; $(PYTHON) is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml changes (the package itself is installed editable).
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,scale,ocr]'
	@touch $(STAMP)

# Records into .dagster_home, which `make dev` opens (ARGS=--ephemeral: a throwaway instance).
run: $(STAMP)
	DAGSTER_HOME=$${DAGSTER_HOME:-$(DAGSTER_DEV_HOME)} $(VENV)/bin/gi-pipeline run $(ARGS)

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# ruff (style, imports, likely bugs) and mypy (gi_pipeline, assets): configured in pyproject.toml.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Dagster UI on http://127.0.0.1:$(DEV_PORT) (`dg dev`: [tool.dg] in pyproject.toml) over the instance in
# .dagster_home -- the one `make run` records into -- so the UI shows what the CLI built.  A busy
# port stops here with a message instead of a server that listens nowhere.
dev: $(STAMP)
	@$(VENV)/bin/python -c 'from assets.cli import require_free_port; require_free_port($(DEV_PORT))'
	@DAGSTER_HOME=$(DAGSTER_DEV_HOME) $(VENV)/bin/python -c 'from assets.cli import ensure_dagster_home; ensure_dagster_home()'
	DAGSTER_HOME=$(DAGSTER_DEV_HOME) PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(VENV)/bin/dg dev -h 127.0.0.1 -p $(DEV_PORT)

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
