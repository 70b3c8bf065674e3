# gi-pipeline: `make run` and `make test` on a fresh machine with Python >= 3.11.
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed-stamp
DAGSTER_DEV_HOME := $(CURDIR)/.dagster_home
DEV_PORT ?= 3000

.PHONY: venv run test dev clean

venv: $(STAMP)

$(VENV)/bin/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "gi-pipeline needs Python >= 3.11; $(PYTHON) is " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# Re-install only when pyproject.toml changes (the package itself is installed editable).
$(STAMP): pyproject.toml | $(VENV)/bin/python
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test,scale,ocr]'
	@touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/gi-pipeline run $(ARGS)

test: $(STAMP)
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS)

# Dagster UI on http://127.0.0.1:$(DEV_PORT) (workspace.yaml); the instance lives in .dagster_home so the
# registered region partitions and run history survive restarts.
dev: $(STAMP)
	@mkdir -p $(DAGSTER_DEV_HOME)
	@test -f $(DAGSTER_DEV_HOME)/dagster.yaml || printf 'telemetry:\n  enabled: false\n' > $(DAGSTER_DEV_HOME)/dagster.yaml
	DAGSTER_HOME=$(DAGSTER_DEV_HOME) $(VENV)/bin/dagster dev -h 127.0.0.1 -p $(DEV_PORT)

clean:
	rm -rf $(VENV) .pytest_cache *.egg-info
