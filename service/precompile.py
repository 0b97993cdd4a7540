"""Compile the optimizers' kernels and the JSON writer into the kernel cache: `python -m service.precompile`.

The container image runs it when it is built (into the directory its OPTISCOPE_KERNEL_SEED names), so that
a container, whose own cache starts empty, loads the machine code instead of compiling it at every start.
"""

from __future__ import annotations

import time

from .api import floatjson
from .engine import compiled, warm_up


def compile_all() -> None:
    """Every optimizer's kernel and the JSON number writer, loaded from the cache or compiled into it (and
    each kernel run once on a tiny problem): what the app's start-up does before it serves."""
    warm_up()
    floatjson.warm_up()


def main() -> None:
    started = time.perf_counter()
    compile_all()
    print(f"kernels and JSON writer ready in {compiled.cache_dir()} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main()
