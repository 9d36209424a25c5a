import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from rumorclf.cli import app

runner = CliRunner()
POSTS = ["鑫达科技老板跑路了，工厂停工", "今天天气不错", "寧德時代 要完了", "", "付费删帖，价格私聊"]


def run(args):
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return res


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_labels_and_info(tiny_model_dir):
    res = run(["labels"])
    assert "rumor" in res.output and "cyberbullying" in res.output
    data = json.loads(run(["labels", "--json"]).output)
    assert len(data["categories"]) == 15
    assert "tiny-random-test-model" in run(["info", "-m", str(tiny_model_dir)]).output


def test_jsonl_keeps_fields_and_adds_predictions(tiny_model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": t, "labels": ["x"]}, ensure_ascii=False) + "\n"
                           for i, t in enumerate(POSTS)), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    run(["classify", str(src), "-o", str(out), "-m", str(tiny_model_dir), "--no-progress"])
    rows = read_jsonl(out)
    assert [r["id"] for r in rows] == list(range(len(POSTS)))
    assert all(r["labels"] == ["x"] for r in rows), "input fields must be kept untouched"
    assert all(len([k for k in r if k.startswith("score_")]) == 15 for r in rows)
    assert rows[3]["pred_empty"] and rows[3]["pred_labels"] == []
    assert rows[2]["pred_normalized"]


@pytest.mark.parametrize("fmt", ["csv", "txt", "parquet"])
def test_other_input_formats(tiny_model_dir, tmp_path, fmt):
    src = tmp_path / f"in.{fmt}"
    if fmt == "csv":
        with open(src, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f)
            w.writerow(["post_id", "content"])
            w.writerows([[i, t] for i, t in enumerate(POSTS)])
        extra = ["--text-field", "content"]
    elif fmt == "txt":
        src.write_text("\n".join(POSTS) + "\n", encoding="utf-8")
        extra = []
    else:
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"post_id": list(range(len(POSTS))), "body": POSTS}), src)
        extra = ["-f", "body"]
    for out_name in ("out.jsonl", "out.csv", "out.parquet"):
        out = tmp_path / out_name
        run(["classify", str(src), "-o", str(out), "-m", str(tiny_model_dir), "--no-progress", *extra])
        if out_name.endswith("jsonl"):
            n = len(read_jsonl(out))
        elif out_name.endswith("csv"):
            with open(out, encoding="utf-8", newline="") as f:
                n = len(list(csv.DictReader(f)))
        else:
            import pyarrow.parquet as pq

            n = pq.read_table(out).num_rows
        assert n == len(POSTS), (fmt, out_name)


def test_malformed_lines_are_accounted_for(tiny_model_dir, tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps({"text": "正常的帖子"}, ensure_ascii=False).encode(), b"{bad json", b'{"no_text": 1}',
             b'{"text": 42}', b"\xff\xfe\xfd", b"[1, 2]", b"", json.dumps({"text": "又一条"}).encode()]
    src.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"
    res = run(["classify", str(src), "-o", str(out), "-m", str(tiny_model_dir), "--no-progress"])
    rows = read_jsonl(out)
    errors = read_jsonl(tmp_path / "out.jsonl.errors.jsonl")
    assert len(rows) == 2 and len(errors) == 6
    assert len(rows) + len(errors) == len(lines)
    assert [e["line"] for e in errors] == [2, 3, 4, 5, 6, 7]
    reasons = " ".join(e["reason"] for e in errors)
    for word in ("bad JSON", "missing field", "expected a string", "invalid UTF-8", "not a JSON object", "blank"):
        assert word in reasons
    assert "6" in res.output  # the summary counts the errors


def test_refuses_to_clobber_a_file_or_a_finished_run(tiny_model_dir, tmp_path):
    src = tmp_path / "in.txt"
    src.write_text("一条\n两条\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("somebody's file\n")
    res = runner.invoke(app, ["classify", str(src), "-o", str(out), "-m", str(tiny_model_dir)])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert out.read_text() == "somebody's file\n"
    run(["classify", str(src), "-o", str(out), "-m", str(tiny_model_dir), "--overwrite", "--no-progress"])
    # a finished run keeps no progress file, so running it again is refused like any existing file
    res = runner.invoke(app, ["classify", str(src), "-o", str(out), "-m", str(tiny_model_dir), "--no-progress"])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert len(read_jsonl(out)) == 2


def _cli(args, **kw):
    return subprocess.Popen([sys.executable, "-m", "rumorclf.cli", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, env={**os.environ, "HF_HUB_OFFLINE": "1"}, **kw)


@pytest.mark.parametrize("out_name", ["out.jsonl", "out.csv", "out.parquet"])
def test_resume_after_sigkill_is_exactly_once(tiny_model_dir, tmp_path, out_name):
    n = 3000
    src = tmp_path / "in.jsonl"
    with open(src, "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"id": i, "text": f"第{i}条：鑫达科技{'老板跑路' if i % 3 else '新品发布'}{i % 7}"},
                               ensure_ascii=False) + "\n")
            if i % 500 == 7:
                f.write("{broken\n")
    total = n + sum(1 for i in range(n) if i % 500 == 7)
    ref = tmp_path / f"ref_{out_name}"
    args = ["classify", str(src), "-m", str(tiny_model_dir), "--chunk-size", "64", "--no-progress"]
    assert _cli([*args, "-o", str(ref)]).wait() == 0

    out = tmp_path / out_name
    state = tmp_path / f"{out_name}.progress.json"
    proc = _cli([*args, "-o", str(out)])
    deadline = time.time() + 120
    while time.time() < deadline:
        if state.exists() and 0 < json.loads(state.read_text())["records_done"] < total // 2:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = json.loads(state.read_text())
    assert not done["complete"] and done["records_done"] < total
    assert _cli([*args, "-o", str(out)]).wait() == 0

    def ids(path):
        if path.suffix == ".jsonl":
            return [r["id"] for r in read_jsonl(path)]
        if path.suffix == ".csv":
            with open(path, encoding="utf-8", newline="") as f:
                return [int(r["id"]) for r in csv.DictReader(f)]
        import pyarrow.parquet as pq

        return pq.read_table(path).column("id").to_pylist()

    assert ids(out) == ids(ref) == list(range(n))
    assert out.with_name(out.name + ".errors.jsonl").read_text() == ref.with_name(ref.name + ".errors.jsonl").read_text()
