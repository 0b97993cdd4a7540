"""The README's examples run: its Python blocks against a live server, its `optiscope` commands as shown."""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from service.cli._main import parser
from tests.cli.conftest import run_cli

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


@pytest.mark.parametrize("index", range(len(blocks("python"))))
def test_python_examples_run_against_a_server(index, live_server, monkeypatch):
    monkeypatch.setenv("OPTISCOPE_URL", live_server)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(blocks("python")[index], f"README.md python block {index + 1}", "exec"), {"__name__": "readme"})
    assert printed.getvalue().strip(), "each example prints what it shows"


def test_the_python_examples_print_what_they_promise(live_server, monkeypatch):
    monkeypatch.setenv("OPTISCOPE_URL", live_server)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(blocks("python")[0], {"__name__": "readme"})
    first, second, third, fourth = printed.getvalue().splitlines()
    assert first.startswith("(201, 1) [")
    assert second.startswith("optimizers[0].betta1 -> Unknown field 'betta1'. Did you mean 'beta1'?")
    assert third.startswith("{'sgd': ") and "'adam': " in third
    assert fourth == "(60, 60)"


def console_examples() -> list[tuple[str, str]]:
    """(command, expected output) pairs from the README's console blocks."""
    examples = []
    for block in blocks("console"):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


@pytest.mark.parametrize(("command", "expected"), console_examples())
def test_console_examples_print_exactly_what_the_readme_shows(command, expected):
    argv = shlex.split(command)
    assert argv[0] == "optiscope"
    result = run_cli(*argv[1:])
    assert result.out + result.err == expected
    assert result.code == (2 if "error:" in expected else 0)


def shell_examples() -> list[list[str]]:
    commands = []
    for block in blocks("sh"):
        for line in block.splitlines():
            if line.startswith("optiscope "):
                commands.append(shlex.split(line.split("  #")[0]))
    return commands


@pytest.mark.parametrize("argv", shell_examples(), ids=" ".join)
def test_shell_examples_run(argv, live_server, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.savetxt("grads.csv", np.linspace(-1, 1, 120).reshape(40, 3), delimiter=",")
    args, redirect = argv[1:], None
    if ">" in args:
        args, redirect = args[: args.index(">")], args[args.index(">") + 1]
    if args[0] == "serve":  # the live_server fixture runs `optiscope serve`; here, only the options
        assert parser().parse_args(args).port == 8000
        return
    args = [live_server if arg == "http://127.0.0.1:8000" else arg for arg in args]
    result = run_cli(*args)
    assert result.code == 0, result.err
    assert result.out
    if redirect:
        Path(redirect).write_text(result.out)
        assert Path(redirect).read_text().startswith("label,name,step,coordinate,gradient,param")


def curl_examples() -> list[tuple[str, str]]:
    """(curl command, the answer shown after it) for every sh block that is one curl command followed by
    a json block."""
    found = re.findall(r"```sh\n(curl [^`]*)```\s*```json\n(.*?)```", README, re.S)
    return [(command.replace("\\\n", " "), answer) for command, answer in found]


def squeezed(text: str) -> str:
    """JSON text without the whitespace between tokens (the README breaks and indents long answers)."""
    out, in_string, escaped = [], False, False
    for char in text:
        if in_string:
            escaped, in_string = (not escaped and char == "\\"), in_string and (escaped or char != '"')
        elif char == '"':
            in_string = True
        elif char.isspace():
            continue
        out.append(char)
    return "".join(out)


def unmatched(answer: str, shown: str) -> str | None:
    """None when the answer is what the README shows, where each `...` stands for any text left out;
    else the first shown part the answer lacks (in its place)."""
    parts = [squeezed(part) for part in shown.split("...")]
    if len(parts) == 1:
        return None if answer == parts[0] else parts[0]
    if not answer.startswith(parts[0]):
        return parts[0]
    at = len(parts[0])
    for part in parts[1:-1]:
        at = answer.find(part, at)
        if at < 0:
            return part
        at += len(part)
    return None if answer.endswith(parts[-1]) and at <= len(answer) - len(parts[-1]) else parts[-1]


def test_the_readme_shows_curl_examples():
    assert len(curl_examples()) >= 8


@pytest.mark.parametrize(("command", "shown"), curl_examples(), ids=lambda value: value.split("\n")[0][:60])
def test_curl_examples_answer_what_the_readme_shows(client, command, shown):
    argv = shlex.split(command)
    method = argv[argv.index("-X") + 1] if "-X" in argv else "GET"
    url = next(arg for arg in argv if arg.startswith("localhost:8000"))
    body = argv[argv.index("-d") + 1] if "-d" in argv else None
    headers = dict(argv[i + 1].split(": ", 1) for i, arg in enumerate(argv) if arg == "-H")  # as curl sends them
    response = client.request(method, url.removeprefix("localhost:8000"), content=body, headers=headers)
    missing = unmatched(response.text, shown)
    assert missing is None, f"the answer lacks {missing!r} (README), in:\n{response.text[:4000]}"
