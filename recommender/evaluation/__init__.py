"""Offline evaluation, independent of models: metrics, splits, user segments, protocols.

- ``metrics``: precision, recall, NDCG, MAP at k; coverage, novelty, popularity bias.
- ``splits``: per-user holdout, temporal (last n, global cut), k folds; all seeded.
- ``segments``: new / light / heavy users by training history.
- ``protocol``: fit and evaluate many models on one split the same way.
- ``lastfm_protocol`` and ``lastfm_report``: the Last.fm HetRec 2011 benchmark, its table
  and HTML report.
- ``off_policy``: IPW, SNIPW, DR, Switch-DR and the slate pseudo-inverse estimator with
  bootstrap intervals; ``off_policy_logs`` builds their input from play events and
  ``off_policy_sim`` is a world with exact values to check them against.
"""
