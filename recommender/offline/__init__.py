"""The offline job (the master): feeds -> ETL -> catalog -> profiles -> train -> batch.

- ``pipeline``: the whole job as one resumable call; ``pipeline_state`` records what is done.
- ``training``: candidates evaluated on a holdout, all registered, the best promoted.
- ``tuning``: Optuna over cross-validation folds.

The top of the recommender: may import every other layer but ``serving`` and ``feedback``.
"""
