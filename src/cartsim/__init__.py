"""cartsim: a mechanistic simulator of CAR-T cell therapy for multiple sclerosis.

The public entry points are ``cartsim.simulate`` (every arm of a scenario for one patient) and
``cartsim.run_trial`` (a virtual trial); they are imported on first use, so that
``import cartsim`` stays light and the submodules can read ``__version__``.
"""

__version__ = "0.1.0"
__all__ = ["__version__", "run_trial", "simulate"]


def __getattr__(name: str):
    if name == "simulate":
        from cartsim.simulation import simulate

        return simulate
    if name == "run_trial":
        from cartsim.trials.run import run_trial

        return run_trial
    raise AttributeError(f"module 'cartsim' has no attribute {name!r}")
