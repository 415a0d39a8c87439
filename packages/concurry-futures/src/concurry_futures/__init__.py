"""concurry-futures."""
__all__: list[str] = []
