"""concurry-workers."""
__all__: list[str] = []
