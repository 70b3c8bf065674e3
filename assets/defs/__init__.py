"""The code location's definitions, one module per concern, loaded by ``dg.load_from_defs_folder``
(``assets/definitions.py``): each module ends with its own ``defs = dg.Definitions(...)``."""
