"""Notebooks: a ``sparkgrove`` Jupyter kernel with magics, Zeppelin note import, headless runs,
and JupyterLab on loopback with token authentication."""
