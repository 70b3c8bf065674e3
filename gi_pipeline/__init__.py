"""gi-pipeline's pure domain library: reading, normalizing, sectioning, table extraction, schema.

Importable and testable without Dagster; the Dagster layer lives in the top-level ``assets`` package.
"""

__version__ = "0.1.0"
