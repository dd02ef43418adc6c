"""The scoring-model file's entry points, for the CLI (`healthscore check-model`) and workers.

load_model(path)        -> HealthModel, or ModelError listing every problem
check_model_file(path)  -> ["FILE:LINE: field: message", ...], empty when valid
"""

from models.model_config import DEFAULT_MODEL_PATH, HealthModel, check_model_file, load_model

__all__ = ["DEFAULT_MODEL_PATH", "HealthModel", "check_model_file", "load_model"]
