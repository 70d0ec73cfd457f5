"""The engines layer: what an engine returns and which engines there are (api), and the SimPy reference engine."""
