"""ArtStudio: restore photos and explore generative models."""

__version__ = "0.1.0"
