"""A/B experiments on the serving path (Kohavi, Tang and Xu, "Trustworthy Online Controlled
Experiments"): declared in a file, assigned by a salted hash, analysed with an always-valid
sequential test, a sample-ratio-mismatch check and guardrails.

- ``config.py``      experiments declared in JSON/TOML; a started one is immutable.
- ``assignment.py``  salted SHA-256 buckets, traffic and variant weights (``Split``, what
  ``recommender.serving.experiments`` applies per request), the exposure record and port (no
  numpy: serving imports it).
- ``analysis.py``    per-variant metrics from exposures and play events.
- ``stats.py``       mixture SPRT (always-valid p-values), SRM chi-square, guardrails.
- ``report.py``      the decision, as text and as HTML with plots.
"""
