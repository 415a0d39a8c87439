"""concurry-limits."""
__all__: list[str] = []
