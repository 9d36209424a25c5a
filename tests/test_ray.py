"""The Ray engine against the single-process path: same labels, scores and error accounting."""

import json

import pytest

ray = pytest.importorskip("ray", reason="Ray tests need the ray extra: pip install 'rumorclf[ray]'")

from rumorclf.batch import classify_file, make_row_classifier  # noqa: E402
from rumorclf.batch.ray_engine import classify_dataset, classify_file_ray, ensure_ray  # noqa: E402
from rumorclf.classifier import RumorClassifier  # noqa: E402

pytestmark = pytest.mark.ray


@pytest.fixture(scope="module")
def local_ray():
    ensure_ray(num_cpus=2)
    yield
    ray.shutdown()


def _rows(path):
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_ray_engine_matches_single_process(tiny_model_dir, tmp_path, local_ray):
    src = tmp_path / "in.jsonl"
    lines = []
    for i in range(240):
        lines.append(json.dumps({"id": i, "text": f"鑫达科技第{i}条" + "老板跑路" * (i % 4)}, ensure_ascii=False))
        if i % 60 == 5:
            lines += ["{bad json", '{"id": "no text"}', '{"text": 7}']
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ray_out, local_out = tmp_path / "ray.jsonl", tmp_path / "local.jsonl"
    s_ray = classify_file_ray(src, ray_out, model=tiny_model_dir, precision="fp32", num_actors=2, progress=False)
    clf = RumorClassifier.from_pretrained(tiny_model_dir, precision="fp32")
    s_loc = classify_file(src, local_out, make_row_classifier(clf), progress=False)
    assert (s_ray["written"], s_ray["errors"]) == (s_loc["written"], s_loc["errors"]) == (240, 12)
    a, b = _rows(ray_out), _rows(local_out)
    assert [r["id"] for r in a] == [r["id"] for r in b] == list(range(240))
    for ra, rb in zip(a, b):
        assert ra["pred_labels"] == rb["pred_labels"]
        assert set(ra) == set(rb)
        for k in ra:
            if k.startswith("score_"):
                assert abs(ra[k] - rb[k]) <= 1e-5, (k, ra[k], rb[k])
    assert (tmp_path / "ray.jsonl.errors.jsonl").read_text() == (tmp_path / "local.jsonl.errors.jsonl").read_text()


def test_classify_dataset_api_flags_bad_rows(tiny_model_dir, local_ray):
    ds = ray.data.from_items([{"text": "鑫达科技老板跑路了"}, {"text": None}, {"text": ""}])
    rows = classify_dataset(ds, tiny_model_dir, num_actors=1, precision="fp32").take_all()
    assert len(rows) == 3
    assert "score_rumor" in rows[0] and not isinstance(rows[0].get("pred_error"), str)
    assert "expected a string" in rows[1]["pred_error"]
    assert rows[2]["pred_empty"]


def test_cli_passes_chunk_size_progress_and_threads_to_ray(tiny_model_dir, tmp_path, local_ray, monkeypatch):
    """--chunk-size and --no-progress/--progress reach the Ray engine's file loop."""
    from typer.testing import CliRunner

    from rumorclf.batch import run as batchio  # the engines call run.classify_file (issue 17)
    from rumorclf.cli import app

    seen = {}

    def spy(*args, **kwargs):  # records what the engine was given; classifying is tested above
        seen.update(kwargs)
        return {"records": 0, "written": 0, "errors": 0}

    monkeypatch.setattr(batchio, "classify_file", spy)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": f"鑫达科技第{i}条"}, ensure_ascii=False) + "\n" for i in range(30)),
                   encoding="utf-8")
    base = ["classify", str(src), "-m", str(tiny_model_dir), "--engine", "ray", "--num-actors", "1"]
    res = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "a.jsonl"), "--chunk-size", "7", "--no-progress"])
    assert res.exit_code == 0, res.output
    assert (seen["chunk_size"], seen["progress"]) == (7, False)
    res = CliRunner().invoke(app, [*base, "-o", str(tmp_path / "b.jsonl"), "--progress"])
    assert res.exit_code == 0, res.output
    assert (seen["chunk_size"], seen["progress"]) == (50_000, True)


def test_classify_dataset_uses_a_fixed_actor_pool_not_concurrency(tiny_model_dir, local_ray, monkeypatch):
    """`concurrency=` is deprecated since Ray 2.51 (it logs a warning): the pool is `compute=`."""
    calls = []
    real = ray.data.Dataset.map_batches

    def spy(self, fn, **kwargs):
        calls.append(kwargs)
        return real(self, fn, **kwargs)

    monkeypatch.setattr(ray.data.Dataset, "map_batches", spy)
    ds = ray.data.from_items([{"text": "鑫达科技老板跑路了"}])
    rows = classify_dataset(ds, tiny_model_dir, num_actors=1, precision="fp32", threads_per_actor=1,
                            model_batch_size=4).take_all()
    assert len(rows) == 1 and "score_rumor" in rows[0]
    (kw,) = calls
    assert "concurrency" not in kw
    assert isinstance(kw["compute"], ray.data.ActorPoolStrategy) and kw["compute"].min_size == kw["compute"].max_size == 1
    assert kw["fn_constructor_kwargs"]["batch_size"] == 4
