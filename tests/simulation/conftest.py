from tests.integration.conftest import tiny_pipeline_output

__all__ = ["tiny_pipeline_output"]
