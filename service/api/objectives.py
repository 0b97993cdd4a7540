"""GET /objectives, /objectives/{name} and /objectives/{name}/surface: the functions closed-loop runs use."""

from __future__ import annotations

import math
import time
from functools import cache
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ..engine import OBJECTIVES, BudgetExceeded, Objective
from ..engine.objectives import SURFACE_CHUNK_VALUES
from ..engine.objectives import surface as surface_grid
from .admission import AdmitDep
from .concurrency import ReceiveDep, run_sized
from .deps import SettingsDep
from .errors import UNAVAILABLE, ErrorMessage, count, numbers, query_error, shown
from .metrics import MetricsDep
from .models import OBJECTIVE_MODELS, OBJECTIVE_SOURCE_FIELDS, ObjectiveInfo, SurfaceResponse, UpdateRule
from .responses import json_response

router = APIRouter(tags=["objectives"])

SURFACE_QUERY = ("x_min", "x_max", "y_min", "y_max", "resolution", "dim", "x_axis", "y_axis", "at")
NOT_FOUND = {404: {"model": ErrorMessage, "description": "Unknown function; the message lists the known ones."}}


def function_query_parameters() -> list[dict[str, Any]]:
    """Every function's parameters as optional query parameters of the surface, for the OpenAPI document
    (the route reads them from the query string itself: which ones apply depends on `name`). A name that
    several functions share has one kind; its description says what it is for each."""
    by_name: dict[str, list[tuple[str, Any]]] = {}
    for objective in OBJECTIVES.values():
        for parameter in objective.parameters:
            by_name.setdefault(parameter.name, []).append((objective.name, parameter))
    declared = []
    for name, uses in by_name.items():
        parameter = uses[0][1]
        schema: dict[str, Any] = {"type": {"float": "number", "int": "integer", "bool": "boolean"}.get(parameter.kind)}
        if parameter.kind == "float_list":
            schema = {"type": "array", "items": {"type": "number"}}
        meanings = "; ".join(f"{function}: {p.description.rstrip('.')}" for function, p in uses)
        nullable = " `null` for the default." if parameter.nullable else ""
        declared.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": schema,
                **({"style": "form", "explode": False} if parameter.kind == "float_list" else {}),
                "description": f"Function parameter ({meanings}). Ranges as in GET /objectives/{{name}}.{nullable}",
            }
        )
    return declared


def find(name: str) -> Objective:
    if name not in OBJECTIVES:
        raise HTTPException(404, f"Unknown function {shown(name)}. Known functions: {', '.join(OBJECTIVES)}.")
    return OBJECTIVES[name]


def parameter_schema(name: str) -> dict:
    """JSON Schema of a function's own parameters: the source model's schema without the source fields."""
    schema = OBJECTIVE_MODELS[name].model_json_schema()
    schema.pop("$defs", None)
    for key in OBJECTIVE_SOURCE_FIELDS:
        schema["properties"].pop(key, None)
    schema["required"] = [r for r in schema.get("required", []) if r not in OBJECTIVE_SOURCE_FIELDS]
    if not schema["required"]:
        schema.pop("required")
    return schema


@cache
def info(objective: Objective) -> ObjectiveInfo:
    problem = objective.problem()
    x_min, x_max, y_min, y_max = objective.window
    return ObjectiveInfo(
        name=objective.name,
        title=objective.title,
        summary=objective.summary,
        reference=objective.reference,
        formula=UpdateRule(latex=objective.formula_latex, text=objective.formula_text),
        dimensions={
            "rule": objective.dimension_rule,
            "min": objective.min_dim,
            "max": objective.max_dim,
            "default": objective.default_dim,
        },
        parameters=parameter_schema(objective.name),
        defaults={p.name: p.default for p in objective.parameters},
        minimum={
            "text": objective.minimum_text,
            "points": None if problem.minima is None else problem.minima.tolist(),
            "value": problem.minimum_value,
        },
        start=problem.start.tolist(),
        window={"x_min": x_min, "x_max": x_max, "y_min": y_min, "y_max": y_max},
        stochastic=any(p.name == "batch_size" for p in objective.parameters),
        notes=list(objective.notes),
    )


@router.get("/objectives", summary="The objective functions closed-loop runs can use")
def list_objectives() -> list[ObjectiveInfo]:
    return [info(o) for o in OBJECTIVES.values()]


@router.get("/objectives/{name}", summary="One objective function's catalog entry", responses=NOT_FOUND)
def get_objective(name: str) -> ObjectiveInfo:
    return info(find(name))


def function_parameters(objective: Objective, request: Request) -> dict[str, Any]:
    """The function's parameters from the query string (names as in the catalog; lists repeated or comma
    separated; `null` for a nullable parameter), converted to JSON types for the strict source model."""
    known = {p.name: p for p in objective.parameters}
    values: dict[str, Any] = {}
    for key in request.query_params:
        if key in SURFACE_QUERY:
            continue
        if key not in known:
            allowed = ", ".join([*SURFACE_QUERY, *known])
            raise query_error(key, f"Unknown query parameter {shown(key)}. Allowed: {allowed}.", "extra_forbidden")
        raw = request.query_params.getlist(key)
        parameter = known[key]
        try:
            if parameter.nullable and raw == ["null"]:
                values[key] = None
            elif parameter.kind == "float_list":
                values[key] = [float(v) for item in raw for v in item.split(",")]
            elif parameter.kind == "int":
                values[key] = int(raw[-1])
            elif parameter.kind == "bool":
                values[key] = {"true": True, "false": False}[raw[-1].lower()]
            else:
                values[key] = float(raw[-1])
        except (ValueError, KeyError) as exc:
            raise query_error(key, f"{key}={shown(raw[-1])} is not a valid {parameter.kind}") from exc
    return values


def _validated_source(objective: Objective, dim: int, parameters: dict[str, Any]):
    """The function's parameters and dimension checked exactly as in POST /simulate."""
    try:
        return OBJECTIVE_MODELS[objective.name](kind="objective", function=objective.name, dim=dim, **parameters)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            path = [*error["loc"], *(error.get("ctx") or {}).get("path", [])]
            errors.append({"type": error["type"], "loc": ("query", *path), "msg": error["msg"]})
        raise RequestValidationError(errors) from exc


@router.get(
    "/objectives/{name}/surface",
    response_model=SurfaceResponse,
    summary="A grid of f values for contour plots (a 2-D slice of an N-D function)",
    responses={**NOT_FOUND, **UNAVAILABLE},
    openapi_extra={"parameters": function_query_parameters()},
)
async def surface(
    name: str,
    request: Request,
    settings: SettingsDep,
    metrics: MetricsDep,
    admit: AdmitDep,
    receive: ReceiveDep,
    x_min: Annotated[float | None, Query(allow_inf_nan=False, description="Left edge (default: the window's).")] = None,
    x_max: Annotated[float | None, Query(allow_inf_nan=False, description="Right edge.")] = None,
    y_min: Annotated[float | None, Query(allow_inf_nan=False, description="Bottom edge.")] = None,
    y_max: Annotated[float | None, Query(allow_inf_nan=False, description="Top edge.")] = None,
    resolution: Annotated[int, Query(ge=2, description="Grid points along each axis.")] = 50,
    dim: Annotated[int | None, Query(ge=1, description="Dimension D (default: the function's).")] = None,
    x_axis: Annotated[int, Query(ge=0, description="Coordinate along x.")] = 0,
    y_axis: Annotated[int, Query(ge=0, description="Coordinate along y.")] = 1,
    at: Annotated[
        list[float] | None,
        Query(description="D numbers fixing the other coordinates (default: the start)."),
    ] = None,
) -> Response:
    """Function parameters go in the query too, by name (`?a=1&b=100`; lists as `scales=1,10`)."""
    objective = find(name)
    parameters = function_parameters(objective, request)
    dim = objective.default_dim_for(parameters) if dim is None else dim
    if dim > settings.max_dim:
        raise query_error(
            "dim", f"D = {count(dim)} exceeds the limit of {settings.max_dim} coordinates", "limit_exceeded"
        )
    source = _validated_source(objective, dim, parameters)
    window = dict(zip(("x_min", "x_max", "y_min", "y_max"), objective.window, strict=True))
    given = {"x_min": x_min, "x_max": x_max, "y_min": y_min, "y_max": y_max}
    window.update({k: v for k, v in given.items() if v is not None})
    for low, high in (("x_min", "x_max"), ("y_min", "y_max")):
        if not window[low] < window[high]:
            raise query_error(high, f"{high} ({window[high]}) must be greater than {low} ({window[low]})")
        if not math.isfinite(window[high] - window[low]):  # the grid's spacing would overflow
            raise query_error(
                high, f"{high} - {low} ({window[high]} - {window[low]}) is beyond float64: narrow the range"
            )
    if resolution * resolution > settings.max_surface_points:
        raise query_error(
            "resolution",
            f"resolution {count(resolution)} gives {count(resolution**2)} points, over the limit of "
            f"{settings.max_surface_points}",
            "limit_exceeded",
        )
    stored = source.work_per_step()
    if stored > settings.max_values:
        samples = "n_samples" in source.parameters()  # a data set: samples x D (else a D x D matrix)
        raise query_error(
            "n_samples" if samples else "dim",
            f"this function stores {stored} numbers (its data), over the limit of {settings.max_values}: "
            + ("fewer samples or coordinates" if samples else "fewer coordinates"),
            "limit_exceeded",
        )
    work = resolution * resolution * stored  # an evaluation touches the numbers the function stores
    if work > settings.max_evaluation_work:
        raise query_error(
            "resolution",
            f"{resolution**2} points x {stored} numbers per evaluation = {work}, over the evaluation "
            f"limit of {settings.max_evaluation_work}",
            "limit_exceeded",
        )
    for field, axis in (("x_axis", x_axis), ("y_axis", y_axis)):
        if axis >= dim:
            raise query_error(
                field, f"{field} {count(axis)} is not a coordinate of a D = {dim} function (0..{dim - 1})"
            )
    if x_axis == y_axis:
        raise query_error("y_axis", f"x_axis and y_axis are both {x_axis}: pick two different coordinates")
    if at is not None and len(at) != dim:
        raise query_error("at", f"at has {numbers(len(at))} but D = {dim}")
    if at is not None and not np.isfinite(at).all():
        raise query_error("at", "at must be finite numbers (no NaN or infinity)", "finite_number")
    # Held while it computes, like a large simulation (admission.py): the grid and its answer, the points
    # evaluated at once (with the function's temporaries), and the function's data.
    # Within max_values each part is, but not always all together: admission passes over a count above it
    # (refused before any compute elsewhere), so a surface holds at most that much of the budget.
    points = resolution * resolution
    await admit(min(3 * points + min(work, SURFACE_CHUNK_VALUES) + stored, settings.max_values))
    budget = settings.compute_budget_seconds
    deadline = time.monotonic() + budget if budget else None

    def compute() -> Response:
        problem = source.problem()
        point = problem.start if at is None else np.array(at, dtype=np.float64)
        xs = np.linspace(window["x_min"], window["x_max"], resolution)
        ys = np.linspace(window["y_min"], window["y_max"], resolution)
        z = surface_grid(problem, xs, ys, (x_axis, y_axis), point, deadline)
        finite = z[np.isfinite(z)]
        payload = {
            "function": name,
            "dim": dim,
            "parameters": source.parameters(),
            "x_axis": x_axis,
            "y_axis": y_axis,
            "at": point,
            "x": xs,
            "y": ys,
            "z": z,  # orjson writes NaN and infinities as null
            "z_min": float(finite.min()) if finite.size else None,
            "z_max": float(finite.max()) if finite.size else None,
        }
        return json_response(payload)

    try:  # in the thread pool when large, stopped if the client goes away (a 499) or at the budget
        return await run_sized(work, compute, receive=receive)
    except BudgetExceeded as exc:
        metrics.budget_exceeded.inc()
        raise query_error(
            "resolution",
            f"the surface ran over the compute budget of {budget:g} s and was stopped ({exc}): ask for a lower "
            "resolution or a smaller D",
            "compute_budget_exceeded",
        ) from None
