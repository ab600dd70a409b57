import numpy as np
import pytest

from nnreg.curves import moving_average, turning_point


def test_turning_point_of_v_shape():
    values = np.abs(np.arange(10) - 6.0) + 1.0  # 最小はエポック 7
    assert turning_point(values) == 7


def test_smoothing_ignores_a_single_noisy_dip(rng):
    epochs = np.arange(1, 61)
    values = (epochs - 40.0) ** 2 / 400 + 0.02 * rng.standard_normal(60)
    values[9] = values.min() - 0.5  # エポック 10 に一度だけの大きな落ち込み
    assert turning_point(values) == 10
    assert abs(turning_point(values, window=9) - 40) <= 3


def test_moving_average_matches_hand_computation():
    v = np.array([1.0, 2.0, 6.0, 3.0])
    np.testing.assert_allclose(moving_average(v, 3), [1.5, 3.0, 11 / 3, 4.5])
    np.testing.assert_array_equal(moving_average(v, 1), v)


@pytest.mark.parametrize("window", [0, 2, 1.5])
def test_bad_window(window):
    with pytest.raises(ValueError, match="window"):
        moving_average([1.0, 2.0], window)


def test_bad_values():
    with pytest.raises(ValueError, match="1 個以上"):
        turning_point([])
    with pytest.raises(ValueError, match="NaN"):
        turning_point([1.0, np.nan])
