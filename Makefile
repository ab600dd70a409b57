# 『ニューラルネットワークの正則化と学習の安定化』
#   make book  … 本をビルドして index.html の場所を表示します
#   make test  … 単体テスト、全ノートブックの再実行比較 (nbval)、本のビルド (-W -n)、
#                リンク検査、実ブラウザ（chromium）での検査を行います
# どちらも .venv が無ければ作り、必要なものを入れます。ブラウザの検査には Debian の chromium と
# fonts-noto-cjk が必要です（sudo apt-get install chromium fonts-noto-cjk。.ci/run は自分で入れます）。

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
JOBS   ?= 2
BUILD_FLAGS := --all -W -n --keep-going
# ブラウザの検査に使う Chromium（Chrome でも可）。例: make browser CHROMIUM=/usr/bin/google-chrome
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

export PYDEVD_DISABLE_FILE_VALIDATION := 1
# 2 コアの機械で nbval を 2 並列にするので、BLAS のスレッドは 1 本に（奪い合うと数倍遅くなる）
export OPENBLAS_NUM_THREADS := 1
export OMP_NUM_THREADS := 1
export MKL_NUM_THREADS := 1

.PHONY: book test lint unit nbval portability portability-rest build-check links browser venv execute student clean help

help:
	@echo "make book   本をビルド（_build/html/index.html）"
	@echo "make test   lint + 単体テスト + nbval + 本のビルド + リンク検査 + ブラウザでの検査"
	@echo "make portability  全ノートブックを OpenBLAS のカーネル（Prescott / Haswell / SkylakeX）ごとに nbval で比較"
	@echo "make links    ビルド済みの本の内部リンク・アンカーを検査"
	@echo "make browser  ビルド済みの本を chromium で開いて検査（スクリーンショットは _build/screenshots/）"
	@echo "make execute  ノートブックを実行し直して保存（NB=book/xxx.ipynb で 1 冊）"
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
	$(BIN)/ruff check src tests tools book benchmarks _ext
	$(BIN)/ruff format --check src tests tools book benchmarks _ext

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) tests --ignore=tests/browser

nbval: $(STAMP)
	$(BIN)/python -m pytest -q -p no:cacheprovider -o filterwarnings= -o testpaths= \
		--nbval --nbval-sanitize-with book/nbval-sanitize.cfg -n $(JOBS) --dist loadscope book

# 出力が BLAS のカーネルに依存しないことの確認（CPU が対応するカーネルごとに nbval）。
# make test では、make nbval で確かめた今のカーネルを除いた残り（portability-rest）を実行します。
portability: $(STAMP)
	$(BIN)/python tools/portability.py -n $(JOBS)

portability-rest: $(STAMP)
	$(BIN)/python tools/portability.py -n $(JOBS) --skip-current

build-check: $(STAMP)
	$(BIN)/jupyter-book build $(BUILD_FLAGS) .
	$(BIN)/python tools/check_build.py _build/html

# 以下の 2 つはビルド済みの _build/html を検査します（make book か make build-check の後に）。
links: $(STAMP)
	$(BIN)/python tools/check_links.py _build/html

browser: $(STAMP)
	@test -x "$(CHROMIUM)" || { echo "ブラウザの検査には chromium が必要です（$(CHROMIUM) がありません）。"; \
		echo "  sudo apt-get install chromium fonts-noto-cjk  か、make browser CHROMIUM=<Chrome のパス>"; exit 1; }
	$(BIN)/python -m pytest -q -p no:cacheprovider -o testpaths= tests/browser

test: lint unit nbval portability-rest build-check links browser
	@echo "make test: すべて成功しました"

# ノートブックを新しいカーネルで実行し直して保存（NB=book/xxx.ipynb で 1 冊だけ）
NB ?= $(wildcard book/*.ipynb)
execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $(NB)

student: $(STAMP)
	$(BIN)/python tools/make_student.py book _build/student

clean:
	rm -rf _build
