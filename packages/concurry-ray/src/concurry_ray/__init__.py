"""concurry-ray."""

__all__: list[str] = []
