"""Recommender: data and ETL, models, batch inference, the serving router and its stores."""
