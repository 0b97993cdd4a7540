"""The `optiscope` command: argparse in, one backend call, text out.

Exit codes: 0 success; 1 a runtime or server error (unreachable server, 5xx, refused key); 2 a usage
error (a bad option, or a request the service rejects as invalid: unknown optimizer, hyperparameter
out of range, unknown name).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TextIO

from .. import __version__
from ..api.models import SimulateRequest, SweepRequest
from ..client import AuthenticationError, NotFoundError, OptiscopeError, Timeout, ValidationError
from ..client._requests import build
from ..settings import SettingsError
from . import _output, _specs
from ._backends import Backend, backend

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
FORMATS = ("table", "json", "csv")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="optiscope",
        description="Simulate gradient-based optimizers step by step, locally or on an Optiscope server.",
        epilog="Exit codes: 0 success, 1 runtime or server error, 2 usage error (including invalid requests).",
    )
    root.add_argument("--version", action="version", version=f"optiscope {__version__}")
    commands = root.add_subparsers(dest="command", required=True, metavar="COMMAND")

    remote = argparse.ArgumentParser(add_help=False)
    remote.add_argument(
        "--url",
        nargs="?",
        const="",
        metavar="URL",
        help="run on the server at URL instead of locally (--url alone: OPTISCOPE_URL or http://127.0.0.1:8000)",
    )
    remote.add_argument("--api-key", help="the server's API key (default: OPTISCOPE_API_KEY)")
    remote.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="how long to wait for the server's answer (default: OPTISCOPE_TIMEOUT or 60)",
    )
    remote.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        help="a progress bar on standard error for long local runs (default: when it is a terminal)",
    )

    serve = commands.add_parser("serve", help="run the HTTP service (what `make run` does)")
    serve.add_argument("--host", help="interface to bind (default: OPTISCOPE_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=_setting("port"), help="TCP port (default: OPTISCOPE_PORT or 8000)")
    serve.add_argument("--workers", type=_setting("workers"), help="worker processes (default: OPTISCOPE_WORKERS or 1)")

    simulate = commands.add_parser(
        "simulate",
        parents=[remote],
        help="run optimizers over a gradient sequence",
        description="Run optimizers over a gradient sequence and summarize each run. Without --optimizer, "
        "the tutorial's four optimizers run.",
    )
    add_source_options(simulate, "an optimizer to run, repeatable")
    simulate.add_argument(
        "--record",
        help="series to return, comma-separated, from params, learning_rates, updates, state "
        "(default: none for the table, params,learning_rates otherwise)",
    )
    simulate.add_argument(
        "--record-every",
        type=int,
        metavar="K",
        help="with --format json: keep every K-th step in the series (and the last)",
    )
    simulate.add_argument(
        "--tune",
        choices=["lr"],
        help="pick each optimizer's lr by a sweep first (the table then shows the lr each run used)",
    )
    simulate.add_argument(
        "--tune-values",
        metavar="VALUES",
        help=f"with --tune: the lr values tried, {_specs.TUNE_FORMS} (default logspace:-4:0:9)",
    )
    simulate.add_argument(
        "--target",
        help="with --tune, open-loop sources: where the params should end (a number or a JSON list; default 0)",
    )
    simulate.add_argument(
        "--request", metavar="FILE", help="a JSON request body (- reads standard input); the options above override it"
    )
    simulate.add_argument("--format", "-f", choices=FORMATS, default="table", help="output format (default: table)")
    simulate.add_argument(
        "--plot",
        metavar="FILE.svg|FILE.png",
        help="also draw the tutorial's figure (learning rates and trajectories; the contour for 2-D objectives) "
        "into this file; needs matplotlib (pip install 'optiscope[figures]')",
    )
    simulate.add_argument("--coordinate", type=int, default=0, help="with --plot and D > 1: the coordinate drawn")

    sweep = commands.add_parser(
        "sweep",
        parents=[remote],
        help="sweep hyperparameters over a grid and pick the best configuration per optimizer",
        description="Run every combination of the --grid values for each optimizer over one gradient source, "
        "score each configuration (final loss on an objective, else distance to --target), and mark the best "
        "per optimizer. Without --optimizer, the tutorial's four optimizers; without --grid, lr over "
        "logspace:-4:0:9.",
    )
    add_source_options(sweep, "an optimizer to sweep (its values are the base the grid overrides), repeatable")
    sweep.add_argument(
        "--grid",
        action="append",
        metavar="NAME=VALUES",
        help=f"a hyperparameter axis, repeatable (the cartesian product runs): {_specs.GRID_FORMS}",
    )
    sweep.add_argument(
        "--target", help="open-loop sources: where the params should end (a number or a JSON list; default 0)"
    )
    sweep.add_argument(
        "--request",
        metavar="FILE",
        help="a JSON /sweep request body (- reads standard input); the options above override it",
    )
    sweep.add_argument("--format", "-f", choices=FORMATS[:2], default="table", help="output format (default: table)")

    optimizers = commands.add_parser("optimizers", parents=[remote], help="list optimizers, or describe one")
    optimizers.add_argument("name", nargs="?", help="an optimizer to describe")
    optimizers.add_argument("--format", "-f", choices=FORMATS[:2], default="table")

    schedules = commands.add_parser("schedules", parents=[remote], help="list learning-rate schedules")
    schedules.add_argument("--format", "-f", choices=FORMATS[:2], default="table")

    objectives = commands.add_parser("objectives", parents=[remote], help="list objective functions, or describe one")
    objectives.add_argument("name", nargs="?", help="a function to describe")
    objectives.add_argument("--format", "-f", choices=FORMATS[:2], default="table")
    return root


def add_source_options(command: argparse.ArgumentParser, optimizer_help: str) -> None:
    """The gradient source, optimizers and start point: shared by `simulate` and `sweep`."""
    command.add_argument(
        "--gradients", "-g", metavar="SOURCE", help=f"gradient source (default: tutorial): {_specs.GRADIENT_FORMS}"
    )
    command.add_argument(
        "--optimizer",
        "-o",
        action="append",
        dest="optimizers",
        metavar="SPEC",
        help=f"{optimizer_help}: {_specs.SPEC_SYNTAX}",
    )
    command.add_argument(
        "--objective",
        metavar="FUNCTION",
        help="closed loop on a function instead of a gradient sequence: NAME[:KEY=VALUE,...], "
        "e.g. rosenbrock or quadratic:condition_number=100,dim=10 (see `optiscope objectives`)",
    )
    command.add_argument("--steps", type=int, help="number of steps (synthetic gradients or an objective)")
    command.add_argument("--initial", help="starting parameters: a number, or a JSON list of D numbers")


def _setting(name: str) -> Callable[[str], int]:
    """An argparse type for an option that overrides the integer setting `name`: checked by the setting's own
    rule (argparse reports a failure as a usage error)."""
    from pydantic import TypeAdapter
    from pydantic import ValidationError as Invalid

    from ..settings import Settings

    field = Settings.model_fields[name]
    adapter = TypeAdapter(Annotated[field.annotation, *field.metadata])

    def parse(text: str) -> int:
        try:
            return adapter.validate_python(text, strict=False)
        except Invalid as exc:
            raise argparse.ArgumentTypeError(f"{text}: {exc.errors(include_url=False)[0]['msg']}") from None

    return parse


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    args = parser().parse_args(argv)
    if args.command == "serve":
        return serve(args, stderr)
    command: Callable[[Backend, argparse.Namespace], str] = COMMANDS[args.command]
    try:
        source = backend(args.url, args.api_key, timeout=args.timeout, progress=args.progress, stream=stderr)
    except ValueError as exc:  # a bad URL or setting (SettingsError)
        return fail(stderr, str(exc), EXIT_USAGE)
    try:
        stdout.write(command(source, args))
    except (_specs.UsageError, SettingsError) as exc:  # SettingsError: a bad OPTISCOPE_ variable (local runs)
        return fail(stderr, str(exc), EXIT_USAGE)
    except ValidationError as exc:
        lines = "\n".join(f"  {error.field}: {error.msg}" for error in exc.errors)
        return fail(stderr, f"invalid request:\n{lines}", EXIT_USAGE)
    except NotFoundError as exc:
        return fail(stderr, str(exc), EXIT_USAGE)
    except AuthenticationError as exc:  # the client's advice names its own argument; here, the option
        return fail(stderr, f"401: {exc.detail} (pass --api-key or set OPTISCOPE_API_KEY)", EXIT_ERROR)
    except Timeout as exc:  # the same: --timeout
        return fail(stderr, str(exc).replace("raise timeout=", "raise --timeout"), EXIT_ERROR)
    except OptiscopeError as exc:  # unreachable server, 5xx, ...
        return fail(stderr, str(exc), EXIT_ERROR)
    except BrokenPipeError:  # `optiscope simulate -f csv | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_ERROR
    except OSError as exc:  # standard output cannot be written (a full disk, say)
        return fail(stderr, f"cannot write the output: {exc.strerror or exc}", EXIT_ERROR)
    except KeyboardInterrupt:
        return fail(stderr, "interrupted", 130)
    finally:
        source.close()
    return EXIT_OK


def fail(stderr: TextIO, message: str, code: int) -> int:
    stderr.write(f"optiscope: error: {message}\n")
    return code


# --- commands ------------------------------------------------------------------------------------------


def serve(args: argparse.Namespace, stderr: TextIO) -> int:
    """What `python -m service` (and so `make run`) does, with the options over the settings."""
    from .. import __main__ as server
    from ..settings import get_settings

    # An option stands for its setting everywhere, in the app's workers too (they read the environment): a
    # bad OPTISCOPE_PORT under --port is not an error, and /version's settings agree with the command line.
    for name in ("host", "port", "workers"):
        if (value := getattr(args, name)) is not None:
            os.environ[f"OPTISCOPE_{name.upper()}"] = str(value)
    get_settings.cache_clear()
    try:
        settings = get_settings()
    except SettingsError as exc:
        return fail(stderr, str(exc), EXIT_USAGE)
    server.run(settings)
    return EXIT_OK


def simulate_fields(args: argparse.Namespace) -> dict[str, Any]:
    fields = source_fields(args)
    if args.record is not None:
        fields["record"] = _specs.names(args.record)
    elif args.format == "table" and "record" not in fields:
        fields["record"] = []  # the table shows final values only: do not compute series ...
    if args.format == "table":
        fields.setdefault("include_gradients", False)  # ... nor send the gradients back
    if args.record_every is not None:
        if args.format != "json":  # the table has no series, the CSV every step: it would be ignored
            raise _specs.UsageError(
                f"--record-every thins the series of --format json; --format {args.format} has none"
            )
        fields["record_every"] = args.record_every
    if args.tune is not None:
        fields["tune"] = args.tune
    if args.target is not None:
        fields["target"] = _specs.initial_point(args.target, "--target")
    if args.tune_values is not None:
        option = f"--tune-values {args.tune_values!r}"
        fields["tune_values"] = _specs.axis_values(args.tune_values.strip(), option, _specs.TUNE_FORMS)
    return fields


def source_fields(args: argparse.Namespace) -> dict[str, Any]:
    """Request fields from --request and the options of add_source_options (the options win)."""
    fields: dict[str, Any] = {}
    if args.request == "-" and args.gradients == "-":
        raise _specs.UsageError("--request - and --gradients - both read standard input: give one of them a file")
    if args.request:
        fields.update(_read_request(args.request))
    if args.gradients and args.objective:
        raise _specs.UsageError("--gradients and --objective are alternatives: a run follows one gradient source")
    if args.gradients:
        fields["gradients"] = _specs.gradient_source(args.gradients)
    if args.objective:
        fields["gradients"] = _specs.objective_source(args.objective)
    if args.steps is not None:
        source = fields.setdefault("gradients", {"kind": "synthetic"})
        if source.get("kind") == "sequence":
            raise _specs.UsageError("--steps sets the length of synthetic gradients; a sequence has its own length")
        source["steps"] = args.steps
    if args.optimizers:
        fields["optimizers"] = [_specs.optimizer_spec(text) for text in args.optimizers]
    if args.initial is not None:
        fields["initial"] = _specs.initial_point(args.initial)
    return fields


def sweep_request(args: argparse.Namespace) -> SweepRequest:
    fields = source_fields(args)
    if args.grid:
        fields["grid"] = _specs.grid(args.grid)
    if args.target is not None:
        fields["target"] = _specs.initial_point(args.target, "--target")
    return build(SweepRequest, fields, {})


def _read_request(path: str) -> dict[str, Any]:
    import json

    try:
        if path == "-":  # standard input, as for --gradients
            data = json.load(sys.stdin)
        else:
            with open(path, encoding="utf-8") as file:
                data = json.load(file)
    except (OSError, ValueError, RecursionError) as exc:
        raise _specs.UsageError(f"--request {path!r}: cannot read it as JSON: {exc}") from None
    if not isinstance(data, dict):
        raise _specs.UsageError(f"--request {path!r}: expected a JSON object (a request body)")
    return data


def simulate(source: Backend, args: argparse.Namespace) -> str:
    """The answer as a table, JSON or the service's CSV; `--plot` also draws the service's figure. CSV and
    figures come from the request as the service runs it for them (`for_media`)."""
    from ..api.negotiation import CSV, SVG
    from ..api.simulate import for_media

    request = build(SimulateRequest, simulate_fields(args), {})
    media = plot_media(args.plot, args.coordinate, request.gradients.shape[1]) if args.plot else None
    result = None
    if args.format == "csv" or media:
        detailed = for_media(request, CSV if args.format == "csv" else SVG)  # CSV's series hold the figure's
        detail = source.simulate(detailed)
        if media:
            plot(detailed, detail, args.plot, media, args.coordinate)
        if args.format == "csv":
            from ..api.export import simulation_csv

            return simulation_csv(detail.model_dump()).decode()
        if args.format == "table":  # final values only: the same in the detailed run
            result = detail
        elif detailed == request.model_copy(update={"record": sorted(request.record)}):
            result = detail  # the request already asks for what the figure needs (the defaults do)
    result = result or source.simulate(request)
    if args.format == "json":
        return _output.to_json(result)
    return _output.simulation_table(result)


def plot_media(path: str, coordinate: int, dim: int) -> str:
    """The figure's media type from the file's suffix; checked with the rest of --plot before anything runs."""
    from .. import figures
    from ..api.negotiation import PNG, SVG

    media = {".svg": SVG, ".png": PNG}.get(os.path.splitext(path)[1].lower())
    if media is None:
        raise _specs.UsageError(f"--plot {path}: the file must end in .svg or .png")
    if not 0 <= coordinate < dim:
        raise _specs.UsageError(f"--coordinate {coordinate} is out of range: D = {dim} (0 to {dim - 1})")
    if not figures.available():
        raise _specs.UsageError("--plot needs matplotlib: pip install 'optiscope[figures]'")
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder) or not os.access(folder, os.W_OK):  # (open() still reports any other failure)
        why = "No such file or directory" if not os.path.isdir(folder) else "Permission denied"
        raise _specs.UsageError(f"--plot {path}: cannot write it: {why}")
    return media


def plot(request: SimulateRequest, result: Any, path: str, media: str, coordinate: int) -> None:
    """Draw the service's figure of `result` into `path`, with the service's own renderer."""
    from .. import figures
    from ..api.simulate import contour_surface

    payload = result.model_dump(exclude_none=True)
    image = figures.render(payload, media, coordinate, contour_surface(request, payload))
    try:
        with open(path, "wb") as file:
            file.write(image)
    except OSError as exc:
        raise _specs.UsageError(f"--plot {path}: cannot write it: {exc.strerror or exc}") from None


def sweep(source: Backend, args: argparse.Namespace) -> str:
    result = source.sweep(sweep_request(args))
    return _output.to_json(result) if args.format == "json" else _output.sweep_table(result)


def optimizers(source: Backend, args: argparse.Namespace) -> str:
    if args.name:
        entry = source.optimizer(args.name)
        return _output.to_json(entry) if args.format == "json" else _output.optimizer_text(entry)
    entries = source.optimizers()
    return _output.to_json(entries) if args.format == "json" else _output.catalog_table(entries)


def schedules(source: Backend, args: argparse.Namespace) -> str:
    entries = source.schedules()
    return _output.to_json(entries) if args.format == "json" else _output.schedules_table(entries)


def objectives(source: Backend, args: argparse.Namespace) -> str:
    if args.name:
        entry = source.objective(args.name)
        return _output.to_json(entry) if args.format == "json" else _output.objective_text(entry)
    entries = source.objectives()
    return _output.to_json(entries) if args.format == "json" else _output.objectives_table(entries)


COMMANDS: dict[str, Callable[[Backend, argparse.Namespace], str]] = {
    "simulate": simulate,
    "sweep": sweep,
    "optimizers": optimizers,
    "schedules": schedules,
    "objectives": objectives,
}
