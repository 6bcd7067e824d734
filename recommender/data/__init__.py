"""Team feeds in, unified tables out: the deterministic generator and the ETL."""

from recommender.data.etl import EtlReport, run_etl
from recommender.data.generate import FeedManifest, generate_feeds
from recommender.data.quality import QualityRules
from recommender.data.taste import GroundTruth

__all__ = ["EtlReport", "FeedManifest", "GroundTruth", "QualityRules", "generate_feeds", "run_etl"]
