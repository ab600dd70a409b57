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

.PHONY: book pdf test lint unit nbval portability portability-rest build-check links browser venv torch execute assignments student clean help bench

help:
	@echo "make book   本をビルド（_build/html/index.html）"
	@echo "make test   lint + 単体テスト + nbval + 本のビルド + リンク検査 + ブラウザでの検査"
	@echo "make portability  全ノートブックを OpenBLAS のカーネル（Prescott / Haswell / SkylakeX）ごとに nbval で比較"
	@echo "make pdf    本全体を 1 冊の PDF に（_build/pdf/nnreg-book.pdf。chromium を使います）"
	@echo "make links    ビルド済みの本の内部リンク・アンカーを検査"
	@echo "make browser  ビルド済みの本を chromium で開いて検査（スクリーンショットは _build/screenshots/）"
	@echo "make execute  ノートブックを実行し直して保存（NB=book/xxx.ipynb で 1 冊）"
	@echo "make assignments  nbgrader の採点キット（_build/nbgrader/）と学生用ノートブック（_build/student/）を作成"
	@echo "make student  make assignments と同じ"
	@echo "make torch    PyTorch と torchvision を .venv に入れる（CPU 版は TORCH_PIP_ARGS=\"--index-url https://download.pytorch.org/whl/cpu\"）"
	@echo "make bench    速度の計測（PyTorch との比較。結果は benchmarks/README.md。BENCH_ARGS=--notebooks でノートブックも）"

$(STAMP): pyproject.toml requirements/constraints.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), f"Python 3.11 以上が必要です（見つかったのは {sys.version.split()[0]}）"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e ".[book,test,grading]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

venv: $(STAMP)

# PyTorch（CPU 版）と torchvision。tests/test_torch_conventions.py が nnreg と PyTorch を同じ数値で比べ、
# データ拡張の変換を torchvision と比べます（無ければその検査は skip）。torchvision は torch の版に合わせた版を入れます。
# 既定の索引に CPU 版が無い環境（PyPI の Linux 向け torch は CUDA 込みで数 GB）では、CPU 版の索引を渡してください
# （torch と torchvision の両方が CPU 版になります）:
#   make torch TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
# （索引を渡さずに CPU 版の torch の上へ PyPI の torchvision を入れると、CUDA 版の torchvision と食い違い、
#   import torchvision が「operator torchvision::nms does not exist」で失敗します。tests の tv フィクスチャは対処済み）
TORCH_VERSION  := 2.13.0
TORCHVISION_VERSION ?= 0.28.0
TORCH_PIP_ARGS ?=
torch: $(STAMP)
	$(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) "torch==$(TORCH_VERSION)" "torchvision==$(TORCHVISION_VERSION)"

book: $(STAMP)
	$(BIN)/jupyter-book build $(BUILD_FLAGS) .
	@echo "本ができました: $(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check src tests tools book benchmarks _ext
	$(BIN)/ruff format --check src tests tools book benchmarks _ext

unit: $(STAMP)
	$(BIN)/python -m pytest -q -n $(JOBS) tests --ignore=tests/browser --ignore=tests/pdf

# nbval はノートブックを 2 冊ずつ並べて走らせるので、ノートブックの中の parallel_map は 1 プロセスに
# （NNREG_JOBS=1）。コミットした出力は並列で計算したものなので、順に計算しても同じになることの確認にもなります
nbval: $(STAMP)
	NNREG_JOBS=1 $(BIN)/python -m pytest -q -p no:cacheprovider -o filterwarnings= -o testpaths= \
		--nbval --nbval-sanitize-with book/nbval-sanitize.cfg -n $(JOBS) --dist loadscope book

# 出力が BLAS のカーネルに依存しないことの確認（CPU が対応するカーネルごとに nbval）。
# make test では、make nbval で確かめた今のカーネルを除いた残り（portability-rest）を実行します。
portability: $(STAMP)
	NNREG_JOBS=1 $(BIN)/python tools/portability.py -n $(JOBS)

portability-rest: $(STAMP)
	NNREG_JOBS=1 $(BIN)/python tools/portability.py -n $(JOBS) --skip-current

build-check: $(STAMP)
	$(BIN)/jupyter-book build $(BUILD_FLAGS) .
	$(BIN)/python tools/check_build.py _build/html

# PDF 版: singlehtml（全ページを 1 枚にした HTML）を作り、ヘッドレスの Chromium で印刷します
# （表紙・ページ番号つきの目次・しおり・ローカルの MathJax・埋め込みの日本語フォント）。
# できた PDF を tests/pdf で検査し、_build/html にも置きます（本の「はじめに」からのリンク先）。
pdf: $(STAMP)
	@test "$(CHROMIUM)" = bundled || test -x "$(CHROMIUM)" || { echo "PDF を作るには chromium が必要です（$(CHROMIUM) がありません）。"; \
		echo "  sudo apt-get install chromium fonts-noto-cjk  か、make pdf CHROMIUM=<Chrome のパス>"; exit 1; }
	$(BIN)/jupyter-book build --builder singlehtml $(BUILD_FLAGS) .
	$(BIN)/python tools/make_pdf.py _build/singlehtml _build/pdf/nnreg-book.pdf
	$(BIN)/python -m pytest -q -p no:cacheprovider -o testpaths= tests/pdf
	@if [ -d _build/html ]; then cp _build/pdf/nnreg-book.pdf _build/html/nnreg-book.pdf; fi

# 以下の 2 つはビルド済みの _build/html を検査します（make book か make build-check の後に）。
links: $(STAMP)
	$(BIN)/python tools/check_links.py _build/html

browser: $(STAMP)
	@test -x "$(CHROMIUM)" || { echo "ブラウザの検査には chromium が必要です（$(CHROMIUM) がありません）。"; \
		echo "  sudo apt-get install chromium fonts-noto-cjk  か、make browser CHROMIUM=<Chrome のパス>"; exit 1; }
	$(BIN)/python -m pytest -q -p no:cacheprovider -o testpaths= tests/browser

test: lint unit nbval portability-rest build-check pdf links browser
	@echo "make test: すべて成功しました"

# ノートブックを新しいカーネルで実行し直して保存（NB=book/xxx.ipynb で 1 冊だけ）
NB ?= $(wildcard book/*.ipynb)
execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py $(NB)

# 演習ページから nbgrader のコース（_build/nbgrader/: source = 解答つき、release = 学生用、設定は
# grading/nbgrader_config.py）を作り、学生用を _build/student/ にも写します。student は同じものの別名です。
assignments: $(STAMP)
	$(BIN)/python tools/make_student.py book _build/nbgrader _build/student

student: assignments

# 速度の計測（make test には含めません）。学習ステップを PyTorch（入っていれば）と比べ、benchmarks/README.md に書きます。
# ノートブックごとの実行時間とメモリも測るには: make bench BENCH_ARGS=--notebooks
BENCH_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf _build
