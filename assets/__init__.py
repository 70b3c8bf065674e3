"""The Dagster layer of gi-pipeline: partitions, resources, assets, Definitions and the CLI.

It imports the pure library ``gi_pipeline``; ``gi_pipeline`` never imports from here.
"""
