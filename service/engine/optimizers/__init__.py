"""The optimizer registry: one module per optimizer, listed here in catalog order.

The twelve first-order optimizers of torch.optim 2.13, then three from optax 0.2.x.
"""

from ..registry import Registry
from . import (
    adabelief,
    adadelta,
    adafactor,
    adagrad,
    adam,
    adamax,
    adamw,
    asgd,
    lion,
    nadam,
    radam,
    rmsprop,
    rprop,
    sgd,
    yogi,
)

REGISTRY = Registry(
    [
        sgd.OPTIMIZER,
        adagrad.OPTIMIZER,
        rmsprop.OPTIMIZER,
        adam.OPTIMIZER,
        adamw.OPTIMIZER,
        adamax.OPTIMIZER,
        nadam.OPTIMIZER,
        radam.OPTIMIZER,
        adadelta.OPTIMIZER,
        rprop.OPTIMIZER,
        asgd.OPTIMIZER,
        adafactor.OPTIMIZER,
        lion.OPTIMIZER,
        adabelief.OPTIMIZER,
        yogi.OPTIMIZER,
    ]
)

__all__ = ["REGISTRY"]
