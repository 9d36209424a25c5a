import json

import pytest

from rumorclf.taxonomy import Taxonomy, TaxonomyError


def test_default_taxonomy_has_15_categories_in_4_families():
    tax = Taxonomy.default()
    assert len(tax) == 15
    assert {f.id for f in tax.families} == {"A", "B", "C", "D"}
    assert tax.labels[0] == "rumor" and tax.labels[-1] == "cyberbullying"
    assert tax.family_of("extortion") == "B"
    assert all(c.zh and c.definition and c.not_ for c in tax.categories)


def test_round_trip_and_custom_file(tmp_path):
    d = {"name": "mine", "version": "0.1", "families": [{"id": "X", "zh": "x", "en": "x"}],
         "categories": [{"id": "a", "family": "X"}, {"id": "b", "family": "X"}, {"id": "c", "family": "X"}]}
    p = tmp_path / "t.json"
    p.write_text(json.dumps(d))
    tax = Taxonomy.from_file(p)
    assert tax.labels == ["a", "b", "c"]
    assert Taxonomy.from_dict(tax.to_dict()).labels == tax.labels


@pytest.mark.parametrize("bad, match", [
    ({"version": "1", "categories": []}, "no categories"),
    ({"version": "1", "categories": [{"id": "a"}, {"id": "a"}]}, "duplicate"),
    ({"version": "1", "families": [{"id": "A"}], "categories": [{"id": "a", "family": "Z"}]}, "unknown family"),
    ({"categories": [{"id": "a"}]}, "missing"),
])
def test_malformed_taxonomies_are_clear_errors(bad, match):
    with pytest.raises(TaxonomyError, match=match):
        Taxonomy.from_dict(bad)


def test_label_mismatch_is_an_error():
    tax = Taxonomy.default()
    tax.check_model_labels(tax.labels)
    with pytest.raises(TaxonomyError, match="missing"):
        tax.check_model_labels(tax.labels[:-1])
    with pytest.raises(TaxonomyError, match="different order"):
        tax.check_model_labels(list(reversed(tax.labels)))
