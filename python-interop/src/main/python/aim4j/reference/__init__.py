"""aim4j's own AIM v1 in JAX/Flax and in PyTorch, written from the paper and the official semantics:
ml-aim's inference model (trunk and attention-pooling probe) and ml-l3m's pre-training model
(pixel decoder, normalized-pixel raster loss, AdamW step), loading the weights files aim4j reads."""

from .api import BACKENDS, DTYPES, forward, pretrain_step
from .config import AimConfig, PretrainConfig, config_from_json
from .weights import read_state_dict

__all__ = ["BACKENDS", "DTYPES", "AimConfig", "PretrainConfig", "config_from_json", "forward", "pretrain_step",
           "read_state_dict"]
