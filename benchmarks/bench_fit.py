"""学習ループの速度の計測（テストには含めません）。

使い方: .venv/bin/python benchmarks/bench_fit.py
手書き数字（訓練 1079 枚）で 64-100-10 の MLP を 1 エポック学習する時間を、float64 と float32 で測ります。
PyTorch（CPU）が入っていれば、同じ構成の 1 エポックも測って比べます（pip install torch==2.13.0）。
"""

from __future__ import annotations

import time

import numpy as np

import nnreg
from nnreg.datasets import load_digits


def bench_nnreg(dtype, repeats: int = 5) -> float:
    d = load_digits(seed=0, dtype=dtype)
    times = []
    for r in range(repeats):
        rng = np.random.default_rng(r)
        model = nnreg.Sequential(
            [
                nnreg.Dense(64, 100, rng=rng, dtype=dtype),
                nnreg.ReLU(),
                nnreg.Dense(100, 10, rng=rng, dtype=dtype),
            ]
        )
        t0 = time.perf_counter()
        nnreg.fit(
            model,
            nnreg.SoftmaxCrossEntropy(),
            nnreg.Adam(1e-3),
            d.X_train,
            d.y_train,
            epochs=1,
            batch_size=32,
            rng=rng,
        )
        times.append(time.perf_counter() - t0)
    return min(times)


def bench_torch(repeats: int = 5) -> float | None:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    d = load_digits(seed=0, dtype=np.float32)
    X, y = torch.from_numpy(d.X_train), torch.from_numpy(d.y_train)
    times = []
    for r in range(repeats):
        torch.manual_seed(r)
        model = torch.nn.Sequential(torch.nn.Linear(64, 100), torch.nn.ReLU(), torch.nn.Linear(100, 10))
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        loss_fn = torch.nn.CrossEntropyLoss()
        t0 = time.perf_counter()
        perm = torch.randperm(len(y))
        for i in range(0, len(y), 32):
            idx = perm[i : i + 32]
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return min(times)


if __name__ == "__main__":
    t64 = bench_nnreg(np.float64)
    t32 = bench_nnreg(np.float32)
    print(f"nnreg float64: 1 エポック {t64 * 1000:.1f} ms")
    print(f"nnreg float32: 1 エポック {t32 * 1000:.1f} ms")
    tt = bench_torch()
    if tt is not None:
        print(
            f"PyTorch (CPU, 1 スレッド): 1 エポック {tt * 1000:.1f} ms（nnreg float64 はその {t64 / tt:.2f} 倍）"
        )
