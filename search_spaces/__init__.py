"""What an architecture is: specs, codes, YAML, the builder, the cost model and search spaces."""

from search_spaces.arch import ArchSpec, StageSpec
from search_spaces.arch_yaml import arch_from_yaml, arch_to_yaml, load_arch_file, reference_b0
from search_spaces.codes import arch_code, arch_from_code, stage_code, stage_from_code
from search_spaces.errors import SpecError, UserError

__all__ = [
    "ArchSpec",
    "StageSpec",
    "SpecError",
    "UserError",
    "arch_code",
    "arch_from_code",
    "arch_from_yaml",
    "arch_to_yaml",
    "load_arch_file",
    "reference_b0",
    "stage_code",
    "stage_from_code",
]
