# The two commands of the README: `make demo` (set up, run netspec on a bundled spec) and `make test`.
VENV  ?= .venv
PY    := $(VENV)/bin/python
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
BUILD := build

.PHONY: setup demo test bench clean

setup: $(STAMP)

# torch is pinned to the CPU build first: left to itself pip would download the newest CUDA build (GBs).
$(STAMP): pyproject.toml constraints.txt tests/textmate/package.json tests/requirements.txt
	@command -v dot >/dev/null || (apt-get update -qq && apt-get install -y -qq graphviz >/dev/null) \
		|| echo "note: could not install graphviz's dot; diagrams will be written as .dot source"
	@# zsh and fish, for tests/test_completion.py: `netspec completion zsh|fish` is tested in the real shells
	@(command -v zsh && command -v fish) >/dev/null || (apt-get update -qq && apt-get install -y -qq zsh fish >/dev/null) \
		|| echo "note: could not install zsh and fish; their completion tests will fail"
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	$(PY) -m pip install -q -c constraints.txt --no-deps -r tests/requirements.txt
	@# VS Code's TextMate engine (two small packages, no dependencies) for tests/test_highlight.py
	@if command -v npm >/dev/null; then npm install --prefix tests/textmate --no-audit --no-fund --silent; fi
	@touch $(STAMP)

demo: setup
	$(BIN)/netspec check specs/*.net
	$(BIN)/netspec summary specs/resnet18.net --depth 1
	$(BIN)/netspec explain specs/lecture.net conv1
	$(BIN)/netspec compile specs/resnet18.net -o $(BUILD)/resnet18.py
	$(BIN)/netspec diagram specs/resnet18.net -o $(BUILD)/resnet18.svg
	$(BIN)/netspec export specs/resnet18.net -o $(BUILD)/resnet18.onnx --dynamic-batch

test: setup
	$(PY) -m pytest -n 2

bench: setup
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(BUILD) .pytest_cache
