"""concurry-retry."""
__all__: list[str] = []
