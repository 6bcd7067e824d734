"""The ETL: raw feeds -> the unified schema, with a quality report and a quarantine.

- ``run``: one ETL run (``run_etl``), on DuckDB or an Ibis backend given by the caller.
- ``unify``: the business rules, written once in Ibis; ``engines``: DuckDB and Spark.
- ``raw_feeds``: the feed files read as text tables; ``quality``: the rules and the report.
- ``unified``: the unified Parquet tables read back as domain objects; ``sql``: DuckDB
  plumbing shared by these modules.
"""
