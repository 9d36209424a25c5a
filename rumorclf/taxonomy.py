"""The label taxonomy, held as data (`rumorclf/data/taxonomy.json`), not code.

A user can copy that file, add, rename or drop categories, and retrain with
`rumorclf train --taxonomy my_taxonomy.json`; nothing in the library names a category.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path


class TaxonomyError(ValueError):
    """A taxonomy file is malformed, or a model's labels do not match the taxonomy in use."""


@dataclass(frozen=True)
class Category:
    id: str
    zh: str
    en: str
    family: str
    definition: str = ""
    not_: str = ""


@dataclass(frozen=True)
class Family:
    id: str
    zh: str
    en: str


@dataclass(frozen=True)
class Taxonomy:
    name: str
    version: str
    categories: tuple[Category, ...]
    families: tuple[Family, ...]
    description: str = ""
    _index: dict = field(default=None, compare=False, repr=False)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_dict(cls, d: dict) -> Taxonomy:
        try:
            families = tuple(Family(f["id"], f.get("zh", ""), f.get("en", "")) for f in d.get("families", []))
            cats = tuple(
                Category(c["id"], c.get("zh", ""), c.get("en", ""), c.get("family", ""),
                         c.get("definition", ""), c.get("not", ""))
                for c in d["categories"]
            )
            name, version = d.get("name", "custom"), str(d["version"])
        except (KeyError, TypeError) as e:
            raise TaxonomyError(f"taxonomy is missing a required field: {e}") from None
        ids = [c.id for c in cats]
        if not ids:
            raise TaxonomyError("taxonomy has no categories")
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise TaxonomyError(f"duplicate category ids: {sorted(dupes)}")
        fam_ids = {f.id for f in families}
        if families:
            bad = [c.id for c in cats if c.family not in fam_ids]
            if bad:
                raise TaxonomyError(f"categories with unknown family: {bad}")
        return cls(name, version, cats, families, d.get("description", ""),
                   {c.id: i for i, c in enumerate(cats)})

    @classmethod
    def from_file(cls, path: str | Path) -> Taxonomy:
        path = Path(path)
        try:
            return cls.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except json.JSONDecodeError as e:
            raise TaxonomyError(f"{path}: not valid JSON ({e})") from None

    @classmethod
    def default(cls) -> Taxonomy:
        text = resources.files("rumorclf").joinpath("data/taxonomy.json").read_text(encoding="utf-8")
        return cls.from_dict(json.loads(text))

    @classmethod
    def load(cls, taxonomy: str | Path | Taxonomy | None) -> Taxonomy:
        """None -> the packaged taxonomy; a path -> that file; a Taxonomy -> itself."""
        if taxonomy is None:
            return cls.default()
        if isinstance(taxonomy, Taxonomy):
            return taxonomy
        return cls.from_file(taxonomy)

    def to_dict(self) -> dict:
        return {
            "name": self.name, "version": self.version, "description": self.description,
            "families": [{"id": f.id, "zh": f.zh, "en": f.en} for f in self.families],
            "categories": [{"id": c.id, "zh": c.zh, "en": c.en, "family": c.family,
                            "definition": c.definition, "not": c.not_} for c in self.categories],
        }

    # ------------------------------------------------------------------ queries
    @property
    def labels(self) -> list[str]:
        return [c.id for c in self.categories]

    def __len__(self) -> int:
        return len(self.categories)

    def index(self, label: str) -> int:
        try:
            return self._index[label]
        except KeyError:
            raise TaxonomyError(f"unknown label {label!r}; known: {', '.join(self.labels)}") from None

    def category(self, label: str) -> Category:
        return self.categories[self.index(label)]

    def family_of(self, label: str) -> str:
        return self.category(label).family

    def check_model_labels(self, model_labels: list[str], where: str = "model") -> None:
        """Raise TaxonomyError unless a model's label list is exactly this taxonomy's, in order."""
        if list(model_labels) == self.labels:
            return
        missing = [x for x in self.labels if x not in model_labels]
        extra = [x for x in model_labels if x not in self.labels]
        detail = []
        if missing:
            detail.append(f"missing {missing}")
        if extra:
            detail.append(f"unknown to the taxonomy {extra}")
        if not detail:
            detail.append("same labels in a different order")
        raise TaxonomyError(
            f"{where} was trained with labels that differ from taxonomy "
            f"{self.name} v{self.version}: {'; '.join(detail)}. Use the taxonomy the model was "
            f"trained with (the model directory records it), or retrain."
        )
