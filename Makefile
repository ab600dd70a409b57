# 『ニューラルネットワークの正則化と学習の安定化』
#   make book  … 本をビルドして index.html の場所を表示します
#   make test  … 単体テスト、全ノートブックの再実行比較 (nbval)、本のビルド (-W -n) を行います
# どちらも .venv が無ければ作り、必要なものを入れます。

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
BUILD_FLAGS := --all -W -n --keep-going

export PYDEVD_DISABLE_FILE_VALIDATION := 1
# 2 コアの機械で nbval を 2 並列にするので、BLAS のスレッドは 1 本に（奪い合うと数倍遅くなる）
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: book test lint unit nbval build-check venv student clean help

help:
	@echo "make book   本をビルド（_build/html/index.html）"
	@echo "make test   lint + 単体テスト + nbval + 本のビルド"
	@echo "make student  解答を取り除いた学生用ノートブックを _build/student/ に作成"

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"Python 3.11 以上が必要です（見つかったのは {sys.version.split()[0]}）"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[book,test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build $(BUILD_FLAGS) .
	@echo "本ができました: $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check src tests tools book benchmarks
	$(BIN)/ruff format --check src tests tools book benchmarks

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) tests

nbval: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -o filterwarnings= -o testpaths= \
		--nbval --nbval-sanitize-with book/nbval-sanitize.cfg -n $(JOBS) --dist loadscope book

build-check: $(STAMP)
	$(BIN)/jupyter-book build $(BUILD_FLAGS) .
	$(BIN)/python tools/check_build.py _build/html

test: lint unit nbval build-check
	@echo "make test: すべて成功しました"

student: $(STAMP)
	$(BIN)/python tools/make_student.py book _build/student

clean:
	rm -rf _build
