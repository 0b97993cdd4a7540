"""GET /optimizers and /optimizers/{name}: the catalog, read from the engine's registry."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter, HTTPException

from ..engine import REGISTRY, Optimizer
from .errors import ErrorMessage, shown
from .models import SPEC_MODELS, OptimizerInfo, UpdateRule

router = APIRouter(tags=["optimizers"])


def hyperparameter_schema(name: str) -> dict:
    """JSON Schema of an optimizer's hyperparameters: the spec's schema without `name`, `label` and
    `schedule` (every optimizer takes one; GET /schedules describes them)."""
    schema = SPEC_MODELS[name].model_json_schema()
    schema.pop("$defs", None)
    for key in ("name", "label", "schedule"):
        schema["properties"].pop(key, None)
    schema["required"] = [r for r in schema.get("required", []) if r not in ("name", "label", "schedule")]
    if not schema["required"]:
        schema.pop("required")
    return schema


@cache
def info(optimizer: Optimizer) -> OptimizerInfo:
    return OptimizerInfo(
        name=optimizer.name,
        title=optimizer.title,
        summary=optimizer.summary,
        paper=optimizer.paper,
        reference=optimizer.reference,
        update=UpdateRule(latex=optimizer.update_latex, text=optimizer.update_text),
        learning_rate=optimizer.learning_rate,
        state=list(optimizer.state_names),
        notes=list(optimizer.notes),
        defaults={h.name: h.default for h in optimizer.hyperparameters},
        hyperparameters=hyperparameter_schema(optimizer.name),
    )


@router.get("/optimizers", summary="The optimizer catalog")
def list_optimizers() -> list[OptimizerInfo]:
    return [info(o) for o in REGISTRY.values()]


@router.get(
    "/optimizers/{name}",
    summary="One optimizer's catalog entry",
    responses={404: {"model": ErrorMessage, "description": "Unknown optimizer; the message lists the known ones."}},
)
def get_optimizer(name: str) -> OptimizerInfo:
    if name not in REGISTRY:
        raise HTTPException(404, f"Unknown optimizer {shown(name)}. Known optimizers: {', '.join(REGISTRY)}.")
    return info(REGISTRY[name])
