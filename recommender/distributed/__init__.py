"""The distributed path: the offline steps on Apache Spark when one machine is not enough.

Local ``local[2]`` in tests and on a laptop; the job's own SparkSession on EMR or Glue.

- ``plays.py``  the unified tables on Spark: id vocabularies (the single-machine indices) and
  the users x tracks confidence sums the models learn from.
- ``als.py``    Spark MLlib's ALS (implicit preferences) with iALS's hyper-parameters, and
  its factors exported as an ``ials.v1`` model the registry, batch inference and serving load.
- ``lists.py``  batch inference on Spark: every listener's top-n without the tracks they
  heard (explicit tracks banned for restricted listeners), as Parquet, then into a store
  snapshot.
- ``job.py``    the steps in order (ETL, train, export, lists, publish) with their timings.

Imports: ``batch``, ``models``, ``data``, ``storage``, ``errors`` (as ``offline/``); pyspark
only inside functions, so importing the package needs no Spark.
"""
