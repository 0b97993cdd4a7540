"""The optimizer registry: one module per optimizer, listed here in catalog order."""

from ..registry import Registry
from . import adagrad, adam, rmsprop, sgd

REGISTRY = Registry([sgd.OPTIMIZER, adagrad.OPTIMIZER, rmsprop.OPTIMIZER, adam.OPTIMIZER])

__all__ = ["REGISTRY"]
