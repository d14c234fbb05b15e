"""aim4j's Python side: aim4j's Arrow shards and Java-loaded batches in NumPy, JAX and PyTorch,
reference AIM v1 models in JAX/Flax and PyTorch, and the worker process the JVM drives."""

__version__ = "0.1.0"
