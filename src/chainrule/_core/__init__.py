"""The engine: primitives, the recorded graph, trace levels. No NumPy here."""
