"""cartsim: a mechanistic simulator of CAR-T cell therapy for multiple sclerosis."""

__version__ = "0.1.0"
