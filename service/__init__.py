"""Optiscope: step-by-step behaviour of gradient-based optimizers, served over HTTP."""

__version__ = "0.1.0"
