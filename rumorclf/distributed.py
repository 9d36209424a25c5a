"""Moved to `rumorclf.batch.ray_engine` (issue 17); this name stays for existing imports.

    import rumorclf.distributed as rd
    out = rd.classify_dataset(ds, text_column="text", num_actors=4)
"""

from .batch.ray_engine import classify_dataset, classify_file_ray, ensure_ray, ray_row_classifier

__all__ = ["classify_dataset", "classify_file_ray", "ensure_ray", "ray_row_classifier"]
