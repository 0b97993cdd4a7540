"""Every objective: values at known points, analytic gradients against finite differences and at the
known minima, vectorization over leading axes, dimension and parameter rules, the surface grid."""

from __future__ import annotations

import math
import zlib

import numpy as np
import pytest

from service.engine.objectives import OBJECTIVES, surface
from service.engine.objectives.logistic import data_set, sigmoid
from service.engine.objectives.n_d import STYBLINSKI_TANG_MIN, STYBLINSKI_TANG_ROOT
from service.engine.objectives.quadratic import rotation

# (function, dim, parameters): every function at its default and at a few non-default settings.
CASES = [
    ("quadratic", 2, {}),
    ("quadratic", 5, {"condition_number": 1e3}),
    ("quadratic", 3, {"scales": [0.5, 2.0, 30.0]}),
    ("quadratic", 4, {"condition_number": 50.0, "rotation_seed": 7}),
    ("rosenbrock", 2, {}),
    ("rosenbrock", 2, {"a": 2.0, "b": 10.0}),
    ("rosenbrock", 5, {}),
    ("rosenbrock", 3, {"a": 0.0}),
    ("rastrigin", 2, {}),
    ("rastrigin", 6, {"A": 3.0}),
    ("ackley", 2, {}),
    ("ackley", 5, {"a": 10.0, "b": 0.5, "c": 3.0}),
    ("styblinski_tang", 1, {}),
    ("styblinski_tang", 4, {}),
    ("beale", 2, {}),
    ("himmelblau", 2, {}),
    ("booth", 2, {}),
    ("saddle", 2, {}),
    ("logistic_regression", 10, {}),
    ("logistic_regression", 6, {"n_samples": 50, "density": 0.2, "l2": 0.1, "data_seed": 3}),
]
IDS = [f"{name}-{dim}-{i}" for i, (name, dim, _) in enumerate(CASES)]


def problem(name, dim=None, **params):
    return OBJECTIVES[name].problem(dim, params)


def test_catalog_has_every_function_the_issue_asks_for():
    assert set(OBJECTIVES) == {
        "quadratic",
        "rosenbrock",
        "rastrigin",
        "ackley",
        "styblinski_tang",
        "beale",
        "himmelblau",
        "booth",
        "saddle",
        "logistic_regression",
    }
    for objective in OBJECTIVES.values():
        assert objective.title and objective.summary and objective.reference
        assert objective.formula_latex and objective.formula_text and objective.minimum_text
        x_min, x_max, y_min, y_max = objective.window
        assert x_min < x_max and y_min < y_max
        assert objective.min_dim <= objective.default_dim


@pytest.mark.parametrize(
    ("name", "point", "expected"),
    [
        ("rosenbrock", [-1.2, 1.0], 24.2),
        ("rosenbrock", [0.0, 0.0, 0.0], 2.0),
        ("rosenbrock", [1.0, 2.0], 100.0),
        ("rastrigin", [1.0, 0.0], 1.0),
        ("rastrigin", [0.5, 0.5], 20 + 2 * (0.25 + 10)),
        ("ackley", [0.0, 0.0], 0.0),
        ("ackley", [1.0, 1.0], -20 * math.exp(-0.2) - math.e + 20 + math.e),
        ("styblinski_tang", [0.0, 1.0], 0.5 * (1 - 16 + 5)),
        ("beale", [0.0, 0.0], 1.5**2 + 2.25**2 + 2.625**2),
        ("beale", [1.0, 1.0], 1.5**2 + 2.25**2 + 2.625**2),
        ("himmelblau", [0.0, 0.0], 170.0),
        ("booth", [0.0, 0.0], 74.0),
        ("saddle", [2.0, 3.0], -5.0),
        ("quadratic", [1.0, 1.0], 0.5 * (1 + 10)),
    ],
)
def test_value_at_known_points(name, point, expected):
    assert problem(name, len(point)).value(np.array(point)) == pytest.approx(expected, rel=1e-14, abs=1e-14)


def test_quadratic_scales_and_rotation_keep_the_eigenvalues():
    assert problem("quadratic", 3, scales=[1.0, 4.0, 9.0]).value(np.array([1.0, 1.0, 1.0])) == 7.0
    q = rotation(6, 11)
    assert np.allclose(q.T @ q, np.eye(6), atol=1e-14) and np.linalg.det(q) != 0
    rotated = problem("quadratic", 6, condition_number=100.0, rotation_seed=11)
    hessian = np.array([rotated.gradient(e) for e in np.eye(6)])
    assert np.allclose(hessian, hessian.T, rtol=0, atol=0)
    assert np.allclose(np.linalg.eigvalsh(hessian), np.geomspace(1, 100, 6), rtol=1e-12)
    # Rotating moves the eigen-directions off the axes: the Hessian is no longer diagonal.
    assert np.abs(hessian - np.diag(np.diag(hessian))).max() > 1


@pytest.mark.parametrize(("name", "dim", "params"), CASES, ids=IDS)
def test_gradient_matches_central_differences(name, dim, params):
    p = problem(name, dim, **params)
    rng = np.random.default_rng(zlib.crc32(f"{name}{dim}{params}".encode()))
    x_min, x_max, _, _ = OBJECTIVES[name].window
    h = 1e-6
    for _ in range(5):
        x = rng.uniform(x_min, x_max, dim) * 0.8
        numeric = np.array([(p.value(x + h * e) - p.value(x - h * e)) / (2 * h) for e in np.eye(dim)])
        scale = max(1.0, np.abs(numeric).max())
        assert np.allclose(p.gradient(x), numeric, rtol=1e-6, atol=1e-6 * scale), (x, p.gradient(x), numeric)


@pytest.mark.parametrize(("name", "dim", "params"), CASES, ids=IDS)
def test_known_minima_are_stationary_with_the_stated_value(name, dim, params):
    p = problem(name, dim, **params)
    if p.minima is None:
        assert p.minimum_value is None
        return
    assert p.minima.shape[1] == dim
    for point in p.minima:
        assert np.abs(p.gradient(point)).max() < 1e-12 * max(1.0, abs(p.minimum_value))
        assert p.value(point) == pytest.approx(p.minimum_value, abs=1e-12)
        assert p.distance_to_optimum(point) == 0.0


@pytest.mark.parametrize(("name", "dim", "params"), CASES, ids=IDS)
def test_value_and_gradient_are_vectorized_over_leading_axes(name, dim, params):
    p = problem(name, dim, **params)
    x = np.random.default_rng(1).uniform(-2, 2, (3, 4, dim))
    values, grads = p.value(x), p.gradient(x)
    assert values.shape == (3, 4) and grads.shape == (3, 4, dim)
    for i, j in np.ndindex(3, 4):
        assert values[i, j] == pytest.approx(p.value(x[i, j]), rel=1e-13, abs=1e-13)
        assert np.allclose(grads[i, j], p.gradient(x[i, j]), rtol=1e-13, atol=1e-13)
    assert p.start.shape == (dim,) and np.isfinite(p.value(p.start))


def test_minima_of_the_multi_minimum_functions():
    assert len(problem("himmelblau").minima) == 4
    assert STYBLINSKI_TANG_ROOT == pytest.approx(-2.903534, abs=1e-6)
    assert STYBLINSKI_TANG_MIN == pytest.approx(-39.16617, abs=1e-5)
    assert problem("styblinski_tang", 3).minimum_value == pytest.approx(3 * -39.16617, abs=1e-4)
    assert problem("rosenbrock", 2, a=2.0).minima.tolist() == [[2.0, 4.0]]
    assert problem("rosenbrock", 4).minima.tolist() == [[1.0] * 4]
    assert problem("rosenbrock", 4, a=2.0).minima is None
    assert problem("saddle").minima is None


def test_ackley_gradient_at_the_origin_is_zero_not_nan():
    assert problem("ackley", 3).gradient(np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_ackley_is_exactly_its_minimum_value_at_the_minimum():
    # The textbook order, -20 - e + 20 + e, leaves 4.4e-16 where the catalog says 0.
    ackley = problem("ackley", 2)
    assert ackley.value(np.zeros(2)) == ackley.minimum_value == 0.0


def test_distance_is_to_the_nearest_minimum():
    p = problem("himmelblau")
    assert p.distance_to_optimum(np.array([3.0, 2.5])) == pytest.approx(0.5)
    assert p.distance_to_optimum(np.array([[3.0, 2.5], [3.0, 1.0]])).tolist() == pytest.approx([0.5, 1.0])


@pytest.mark.parametrize(
    ("name", "dim", "params", "field", "says"),
    [
        ("beale", 3, {}, "dim", "beale needs D = 2, got D = 3"),
        ("saddle", 1, {}, "dim", "D = 2"),
        ("rosenbrock", 1, {}, "dim", "D >= 2"),
        ("quadratic", 2, {"scales": [1.0, 2.0, 3.0]}, "scales", "3 numbers but D = 2"),
        ("quadratic", 2, {"scales": [1.0, 2.0], "condition_number": 5.0}, "condition_number", "not both"),
        ("quadratic", 1001, {"rotation_seed": 1}, "rotation_seed", "D <= 1000"),
        ("logistic_regression", 4, {"n_samples": 10, "batch_size": 11}, "batch_size", "exceeds n_samples 10"),
    ],
)
def test_invalid_dimensions_and_parameters_name_the_field(name, dim, params, field, says):
    objective = OBJECTIVES[name]
    problems = objective.problems(dim, objective.params(params))
    assert len(problems) == 1 and problems[0][0] == field and says in problems[0][1]
    with pytest.raises(ValueError, match=field):
        objective.problem(dim, params)


def test_unknown_parameters_are_rejected():
    with pytest.raises(KeyError, match="unknown parameters for beale"):
        OBJECTIVES["beale"].params({"a": 1.0})


def test_logistic_data_is_seeded_sparse_and_pinned():
    X, y, w = data_set(2000, 8, 0.05, seed=0)
    assert set(np.unique(X)) == {0.0, 1.0} and set(np.unique(y)) <= {0.0, 1.0}
    frequency = X.mean(axis=0)
    assert frequency[0] == 1.0 and frequency[-1] == pytest.approx(0.05, abs=0.015)
    assert np.all(np.diff(frequency) < 0.05)  # rarer and rarer, up to sampling noise
    again = data_set(2000, 8, 0.05, seed=0)
    assert all(np.array_equal(a, b) for a, b in zip(again, (X, y, w), strict=True))
    # PCG64 streams are the same on every machine: pin a few values.
    small = data_set(5, 3, 0.5, seed=0)
    assert small.features.tolist() == [[1, 1, 1], [1, 0, 0], [1, 0, 0], [1, 0, 1], [1, 1, 0]]
    assert small.true_weights.tolist() == [-1.4645347094069032, -1.0885179657146198, -0.6326003127383091]
    assert small.labels.tolist() == [0, 0, 1, 0, 0]


def test_logistic_loss_at_zero_is_log_two_and_sigmoid_does_not_overflow():
    p = problem("logistic_regression")
    assert p.value(np.zeros(10)) == pytest.approx(math.log(2), rel=1e-15)
    assert sigmoid(np.array([-1000.0, 0.0, 1000.0])).tolist() == [0.0, 0.5, 1.0]
    assert np.isfinite(p.value(np.full(10, 1e6)))


def test_logistic_minibatch_gradient_is_an_unbiased_estimate():
    full = problem("logistic_regression", 5, n_samples=40, l2=0.01)
    batched = problem("logistic_regression", 5, n_samples=40, l2=0.01, batch_size=8)
    assert full.stochastic_gradient is None and batched.stochastic_gradient is not None
    w = np.array([0.5, -1.0, 2.0, 0.0, 1.0])
    rng = np.random.default_rng(0)
    estimates = np.array([batched.stochastic_gradient(w, rng) for _ in range(4000)])
    assert np.allclose(estimates.mean(axis=0), full.gradient(w), atol=0.01)
    assert estimates.std(axis=0).max() > 0.01
    assert np.array_equal(batched.gradient(w), full.gradient(w))


def test_surface_grid_rows_run_over_y_and_slices_keep_the_other_coordinates():
    p = problem("booth")
    xs, ys = np.linspace(-1, 1, 5), np.linspace(0, 3, 4)
    z = surface(p, xs, ys)
    assert z.shape == (4, 5)
    assert z[2, 3] == pytest.approx(p.value(np.array([xs[3], ys[2]])), rel=1e-14)
    rosen = problem("rosenbrock", 4)
    z = surface(rosen, xs, ys, axes=(3, 1), at=np.array([0.5, 9.0, -0.5, 9.0]))
    assert z[1, 2] == pytest.approx(rosen.value(np.array([0.5, ys[1], -0.5, xs[2]])), rel=1e-14)


def test_surface_of_a_data_backed_function_is_chunked_but_equal(monkeypatch):
    import service.engine.objectives as objectives

    p = problem("logistic_regression", 10, n_samples=300)
    xs, ys = np.linspace(-2, 2, 7), np.linspace(-1, 1, 6)
    whole = surface(p, xs, ys)
    monkeypatch.setattr(objectives, "SURFACE_CHUNK_VALUES", 10 * 300 * 4)  # 4 points at a time
    # Smaller matrix products may round differently (BLAS blocking): equal to a few ulps.
    assert np.allclose(objectives.surface(p, xs, ys), whole, rtol=1e-14, atol=0)


def test_distance_from_far_away_does_not_overflow_in_its_squares():
    # (1e160)^2 overflows float64; the distance itself, 1.414e160, does not.
    assert problem("ackley", 2).distance_to_optimum(np.array([1e160, 1e160])) == pytest.approx(math.sqrt(2) * 1e160)
    himmelblau = problem("himmelblau", 2)
    assert himmelblau.distance_to_optimum(np.array([-1e200, 0.0])) == pytest.approx(1e200, rel=1e-14)
    assert himmelblau.distance_to_optimum(np.array(himmelblau.minima[2])) == 0.0


def test_distance_near_the_minimum_does_not_underflow_in_its_squares():
    assert problem("ackley", 2).distance_to_optimum(np.array([3e-170, 4e-170])) == pytest.approx(5e-170, rel=1e-14)
