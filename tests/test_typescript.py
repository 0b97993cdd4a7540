"""openapi/optiscope.d.ts is generated from the committed spec by the pinned openapi-typescript, and the
README's typed `fetch` example compiles against it (and a wrong field type does not)."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "node_modules" / ".bin"
COMMITTED = ROOT / "openapi" / "optiscope.d.ts"

pytestmark = pytest.mark.skipif(
    not (BIN / "openapi-typescript").exists() and not os.environ.get("CI"),
    reason="node_modules not installed: run `npm ci` (or `make test`, which does when npm is present)",
)


def run(*command: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(list(map(str, command)), cwd=cwd, capture_output=True, text=True, timeout=120)


def readme_typescript() -> str:
    blocks = re.findall(r"```ts\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1, "the README has one TypeScript example"
    return blocks[0]


def test_committed_types_match_the_spec(tmp_path):
    # The command `make types` runs (package.json's "types" script), writing elsewhere.
    command = shlex.split(json.loads((ROOT / "package.json").read_text())["scripts"]["types"])
    assert command[0] == "openapi-typescript" and command[-2] == "--output"
    generated = tmp_path / "optiscope.d.ts"
    result = run(BIN / command[0], *command[1:-1], generated)
    assert result.returncode == 0, result.stderr
    assert COMMITTED.read_text(encoding="utf-8") == generated.read_text(encoding="utf-8"), (
        "run `make openapi` (or `make types`) and commit openapi/optiscope.d.ts"
    )


WRONG = {
    "wrong_lr": ("lr: 0.1", 'lr: "0.1"', "Type 'string' is not assignable to type 'number'"),
    "wrong_name": ('name: "adam"', 'name: "adamx"', '"adamx"'),
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """One tsc run (it takes seconds) over the README example and broken copies of it: the output folder
    and each file's diagnostics."""
    folder = tmp_path_factory.mktemp("typescript")
    (folder / "openapi").symlink_to(ROOT / "openapi")  # the example imports ./openapi/optiscope
    example = readme_typescript()
    sources = {"example": example}
    for name, (right, wrong, _) in WRONG.items():
        assert right in example
        sources[name] = example.replace(right, wrong, 1)
    for name, source in sources.items():
        (folder / f"{name}.ts").write_text(source, encoding="utf-8")
    (folder / "out").mkdir()
    (folder / "out" / "package.json").write_text('{"type": "module"}')
    options = ["--strict", "--target", "es2022", "--module", "es2022", "--moduleResolution", "bundler"]
    result = run(
        BIN / "tsc", *options, "--lib", "es2022,dom", "--outDir", "out", *(f"{n}.ts" for n in sources), cwd=folder
    )
    diagnostics = {name: "" for name in sources}
    for line in result.stdout.splitlines():
        name = line.split(".ts(", 1)[0]
        if name in diagnostics:
            diagnostics[name] += line + "\n"
    return folder, diagnostics


def test_readme_fetch_example_typechecks(compiled):
    assert len(readme_typescript().strip().splitlines()) == 5
    assert compiled[1]["example"] == ""


@pytest.mark.parametrize("name", WRONG)
def test_the_types_reject_a_wrong_request(compiled, name):
    says = WRONG[name][2]
    assert says in compiled[1][name], compiled[1][name]


def test_readme_fetch_example_runs_against_a_server(compiled, live_server):
    script = compiled[0] / "out" / "example.js"
    script.write_text(script.read_text().replace("http://127.0.0.1:8000", live_server))
    result = run("node", script, cwd=compiled[0])
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith("adam [ 1.03351069536")
