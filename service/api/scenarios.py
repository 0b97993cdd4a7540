"""GET /scenarios: named presets, each a ready POST /simulate body and a sentence on what it shows.

The playground offers them; they are also a quick way to try the API:

    curl -s localhost:8000/scenarios/sparse_features | jq .request | \\
        curl -s -X POST localhost:8000/simulate -H 'content-type: application/json' -d @-
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from .errors import ErrorMessage, shown

router = APIRouter(tags=["scenarios"])


class Scenario(BaseModel):
    name: str = Field(description="Identifier, as in /scenarios/{name}.")
    title: str
    description: str = Field(description="What the scenario shows, in one sentence.")
    request: dict[str, Any] = Field(description="A body for POST /simulate.")
    coordinate: int = Field(0, description="The coordinate worth looking at first when D > 1.")


# Reddi, Kale & Kumar (2018), "On the Convergence of Adam and Beyond", section 3: f_t(x) = C x once, then
# -x twice, repeating. The gradients do not depend on x, so the online problem is an open-loop sequence;
# the paper's feasible set [-1, 1] is not applied, so the drift's direction is what to look at.
REDDI_C = 3
REDDI_STEPS = 300


def _sparse_rows(steps: int = 100, every: int = 10) -> list[list[float]]:
    """Coordinate 0 sees a gradient at every step, coordinate 1 only every `every`-th step."""
    return [[-1.0, -1.0 if t % every == 0 else 0.0] for t in range(steps)]


SCENARIOS = [
    Scenario(
        name="tutorial",
        title="The tutorial",
        description="The tutorial's 50 noisy gradients drifting from -0.5 to 0.5: Adagrad's rate only shrinks, "
        "RMSProp's and Adam's follow the recent gradients, SGD's stays fixed (Adam is the standard one, whose "
        "steps are 3-7x larger than the tutorial's twice bias-corrected Adam's).",
        request={
            "gradients": {"kind": "synthetic", "pattern": "trend_noise", "steps": 50, "seed": 0},
            "optimizers": [
                {"name": "sgd", "lr": 0.1},
                {"name": "adagrad", "lr": 0.1, "eps": 1e-8},
                {"name": "rmsprop", "lr": 0.1, "alpha": 0.9, "eps": 1e-8},
                {"name": "adam", "lr": 0.1, "eps": 1e-8},
            ],
        },
    ),
    Scenario(
        name="sparse_features",
        title="Sparse features",
        description="Coordinate 1 gets a gradient only every 10th step: with rates that move coordinate 0 "
        "about as far, Adagrad moves the rare coordinate 2.5 times as far as SGD, because its rate shrinks "
        "only with that coordinate's own gradients.",
        request={
            "gradients": {"kind": "sequence", "values": _sparse_rows()},
            "optimizers": [
                {"name": "sgd", "lr": 0.1},
                {"name": "adagrad", "lr": 0.5},
                {"name": "adam", "lr": 0.1},
            ],
        },
        coordinate=1,
    ),
    Scenario(
        name="noisy_gradients",
        title="Noisy gradients",
        description="A constant gradient of 0.3 buried in noise of standard deviation 1: RMSProp's and Adam's "
        "rates settle near lr / RMS(g), about lr, set by the noise rather than the signal, and momentum at a "
        "tenth of the rate moves SGD about as far on a path half as jagged.",
        request={
            "gradients": {
                "kind": "synthetic",
                "pattern": "trend_noise",
                "steps": 200,
                "seed": 1,
                "noise_std": 1.0,
                "trend_start": 0.3,
                "trend_end": 0.3,
            },
            "optimizers": [
                {"name": "sgd", "lr": 0.05},
                {"name": "sgd", "label": "sgd-momentum", "lr": 0.005, "momentum": 0.9},
                {"name": "rmsprop", "lr": 0.05},
                {"name": "adam", "lr": 0.05},
            ],
        },
    ),
    Scenario(
        name="ill_conditioned_quadratic",
        title="Ill-conditioned quadratic",
        description="On f = (x0² + 100 x1²) / 2, SGD's one rate must stay under 2/100 for the steep coordinate and "
        "so crawls along the flat one, while Adagrad, RMSProp and Adam scale each coordinate by its own gradients "
        "and reach the minimum on both.",
        request={
            "gradients": {
                "kind": "objective",
                "function": "quadratic",
                "dim": 2,
                "condition_number": 100.0,
                "steps": 100,
            },
            "optimizers": [
                {"name": "sgd", "lr": 0.019},
                {"name": "adagrad", "lr": 0.5},
                {"name": "rmsprop", "lr": 0.02},
                {"name": "adam", "lr": 0.1},
            ],
        },
    ),
    Scenario(
        name="rosenbrock_valley",
        title="Rosenbrock valley",
        description="Every run reaches the floor of Rosenbrock's curved valley within a few steps, but following "
        "it to the minimum at (1, 1) is slow: after 500 steps heavy-ball momentum is nearly there, Adam is past "
        "the bend, and plain SGD has not reached it.",
        request={
            "gradients": {"kind": "objective", "function": "rosenbrock", "steps": 500},
            "optimizers": [
                {"name": "sgd", "lr": 0.001},
                {"name": "sgd", "label": "sgd-momentum", "lr": 0.001, "momentum": 0.9},
                {"name": "adagrad", "lr": 0.5},
                {"name": "rmsprop", "lr": 0.01},
                {"name": "adam", "lr": 0.05},
            ],
        },
    ),
    Scenario(
        name="saddle_point",
        title="Saddle point",
        description="From (1, 0.01), just off the ridge of f = x² - y², SGD's steps are as small as the y-gradient, "
        "so it slides into the saddle and lingers there, while Adagrad, RMSProp and Adam rescale the small "
        "gradient and escape in under half the steps.",
        request={
            "gradients": {"kind": "objective", "function": "saddle", "steps": 60},
            "optimizers": [
                {"name": "sgd", "lr": 0.05},
                {"name": "adagrad", "lr": 0.1},
                {"name": "rmsprop", "lr": 0.01},
                {"name": "adam", "lr": 0.05},
            ],
        },
        coordinate=1,
    ),
    Scenario(
        name="adam_vs_amsgrad",
        title="Adam vs AMSGrad (Reddi et al.)",
        description=f"Reddi et al.'s online problem, gradient {REDDI_C} once then -1 twice (on average the "
        "parameter should decrease): Adam with beta1 = 0, beta2 = 0.1 drifts the wrong way, AMSGrad's "
        "never-shrinking second moment goes the right way (unconstrained, unlike the paper's [-1, 1]).",
        request={
            "gradients": {
                "kind": "sequence",
                "values": [float(REDDI_C) if t % 3 == 0 else -1.0 for t in range(REDDI_STEPS)],
            },
            "optimizers": [
                {"name": "adam", "label": "adam", "lr": 0.1, "beta1": 0.0, "beta2": 1 / (1 + REDDI_C**2)},
                {
                    "name": "adam",
                    "label": "amsgrad",
                    "lr": 0.1,
                    "beta1": 0.0,
                    "beta2": 1 / (1 + REDDI_C**2),
                    "amsgrad": True,
                },
                {"name": "sgd", "lr": 0.1},
            ],
        },
    ),
    Scenario(
        name="warmup_vs_none",
        title="Warmup vs none",
        description="Adam's first step is a full lr whatever the gradient's size (its rate starts at lr / |g|); "
        "a 20-step linear warmup shrinks the early steps, and a cosine decay after it settles the end of the run.",
        request={
            "gradients": {"kind": "synthetic", "pattern": "trend_noise", "steps": 100, "seed": 0},
            "optimizers": [
                {"name": "adam", "label": "no warmup", "lr": 0.1},
                {
                    "name": "adam",
                    "label": "linear warmup",
                    "lr": 0.1,
                    "schedule": {"kind": "linear", "start_factor": 0.05, "total_iters": 20},
                },
                {
                    "name": "adam",
                    "label": "warmup + cosine",
                    "lr": 0.1,
                    "schedule": {
                        "kind": "sequential",
                        "milestones": [20],
                        "schedulers": [
                            {"kind": "linear", "start_factor": 0.05, "total_iters": 20},
                            {"kind": "cosine", "T_max": 80},
                        ],
                    },
                },
            ],
        },
    ),
]
BY_NAME = {scenario.name: scenario for scenario in SCENARIOS}


@router.get("/scenarios", summary="Named presets: request bodies for POST /simulate and what each shows")
def list_scenarios() -> list[Scenario]:
    return SCENARIOS


@router.get(
    "/scenarios/{name}",
    summary="One preset",
    responses={404: {"model": ErrorMessage, "description": "Unknown scenario; the message lists the known ones."}},
)
def get_scenario(name: str) -> Scenario:
    if name not in BY_NAME:
        raise HTTPException(404, f"Unknown scenario {shown(name)}. Known scenarios: {', '.join(BY_NAME)}.")
    return BY_NAME[name]
