"""The CLI as a new user meets it (issue 16): the real `rumorclf` entry point in a subprocess,
its stdout and stderr pipes (not a terminal), as a shell script would run it."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

POSTS = ["鑫达科技老板跑路了，工厂停工", "今天天气不错", "付费删帖，价格私聊"]


def rumorclf(*args, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).with_name("rumorclf")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rumorclf.cli"]
    return subprocess.run([*cmd, *map(str, args)], input=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, encoding="utf-8", timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
                               "OMP_NUM_THREADS": "1", **(env or {})})


def one_error_line(proc) -> str:
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(out.name))


# ------------------------------------------------------------------------------ points 1 and 4
def test_failed_start_leaves_nothing_and_the_corrected_retry_runs(tiny_model_dir, tmp_path):
    src = tmp_path / "posts.csv"
    with open(src, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["post_id", "content", "kind"], *[[i, t, "x"] for i, t in enumerate(POSTS)]])
    out = tmp_path / "out.csv"
    bad = rumorclf("classify", src, "-o", out, "-m", tiny_model_dir)
    assert bad.returncode == 2
    assert "no column 'text' (columns: post_id, content, kind)" in one_error_line(bad)
    assert leftovers(out) == [], "a run that wrote no row must leave nothing behind"

    good = rumorclf("classify", src, "-o", out, "-m", tiny_model_dir, "-f", "content")
    assert good.returncode == 0, good.stderr
    # a clean finish removes the progress file and the empty errors file, and says so
    assert leftovers(out) == ["out.csv"]
    assert "removed:" in good.stderr and "out.csv.progress.json" in good.stderr


def test_a_missing_field_in_one_record_is_an_error_row_that_is_kept(tiny_model_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": POSTS[0]}, {"body": "no text field"}, {"text": POSTS[1]}])
    out = tmp_path / "out.jsonl"
    proc = rumorclf("classify", src, "-o", out, "-m", tiny_model_dir)
    assert proc.returncode == 0, proc.stderr
    # something to read: the errors file stays; nothing to resume: the progress file goes
    assert leftovers(out) == ["out.jsonl", "out.jsonl.errors.jsonl"]
    errors = [json.loads(x) for x in (tmp_path / "out.jsonl.errors.jsonl").read_text().splitlines()]
    assert [(e["line"], e["reason"]) for e in errors] == [(2, "missing field 'text'")]


# ------------------------------------------------------------------------------ point 2
def test_stdin_to_stdout_pipe(tiny_model_dir, tmp_path):
    lines = [json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(POSTS)]
    proc = rumorclf("classify", "-", "-o", "-", "-m", tiny_model_dir, stdin="\n".join([*lines[:2], "{bad", lines[2]]))
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]  # stdout holds only JSON lines
    assert [r["id"] for r in rows] == [0, 1, 2]
    assert all("pred_labels" in r and len([k for k in r if k.startswith("score_")]) == 15 for r in rows)
    # the malformed record is reported on stderr as a JSON error row, with its line number
    err_rows = [json.loads(x) for x in proc.stderr.splitlines() if x.startswith("{")]
    assert [e["line"] for e in err_rows] == [3] and "bad JSON" in err_rows[0]["reason"]
    assert not list(tmp_path.iterdir()), "a pipe run writes no file"

    # CSV to stdout with its own option; --format names the input format, --output-format the output's
    csv_out = rumorclf("classify", "-", "-o", "-", "--output-format", "csv", "--format", "txt", "-m",
                       tiny_model_dir, stdin="\n".join(POSTS) + "\n")
    assert csv_out.returncode == 0, csv_out.stderr
    table = list(csv.DictReader(csv_out.stdout.splitlines()))
    assert [r["text"] for r in table] == POSTS


def test_output_format_has_its_own_option(tiny_model_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in POSTS])
    out = tmp_path / "s.out"
    proc = rumorclf("classify", src, "-o", out, "-m", tiny_model_dir)
    assert proc.returncode == 2 and "pass --output-format" in one_error_line(proc)
    proc = rumorclf("classify", src, "-o", out, "-m", tiny_model_dir, "--output-format", "jsonl")
    assert proc.returncode == 0, proc.stderr
    assert len(out.read_text(encoding="utf-8").splitlines()) == len(POSTS)


def test_text_option_classifies_one_post(tiny_model_dir):
    proc = rumorclf("classify", "--text", POSTS[0], "--text", POSTS[2], "-m", tiny_model_dir)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [r["text"] for r in rows] == [POSTS[0], POSTS[2]]
    assert all(isinstance(r["pred_labels"], list) and 0 <= r["score_rumor"] <= 1 for r in rows)


# ------------------------------------------------------------------------------ point 3
def test_labels_piped_is_tsv_one_label_a_line():
    proc = rumorclf("labels")
    assert proc.returncode == 0, proc.stderr
    rows = [line.split("\t") for line in proc.stdout.splitlines()]
    assert rows[0] == ["id", "zh", "en", "family", "family_zh", "definition"]
    assert len(rows) == 16 and all(len(r) == 6 for r in rows)
    ids = [r[0] for r in rows[1:]]
    assert "critical_timing_attack" in ids and "entrepreneur_impersonation" in ids
    assert json.loads(rumorclf("labels", "--format", "json").stdout)["categories"][0]["id"] == "rumor"
    assert "┃" in rumorclf("labels", "--format", "table").stdout


def test_messages_are_one_line_and_no_progress_bar_on_a_pipe(tiny_model_dir, tmp_path):
    deep = tmp_path / ("a_rather_long_directory_name_" * 3)
    deep.mkdir()
    src = deep / "posts.csv"
    src.write_text("post_id,content\n1,x\n", encoding="utf-8")
    proc = rumorclf("classify", src, "-o", deep / "out.jsonl", "-m", tiny_model_dir)
    line = one_error_line(proc)  # longer than 80 columns, still one line
    assert len(line) > 120 and str(src) in line

    src = write_jsonl(tmp_path / "in.jsonl", [{"text": t} for t in POSTS])
    quiet = rumorclf("classify", src, "-o", tmp_path / "a.jsonl", "-m", tiny_model_dir)
    assert quiet.returncode == 0 and "post/s" not in quiet.stderr and "\r" not in quiet.stderr
    loud = rumorclf("classify", src, "-o", tmp_path / "b.jsonl", "-m", tiny_model_dir, "--progress")
    assert loud.returncode == 0 and "classify: 100%" in loud.stderr


# ------------------------------------------------------------------------------ point 6
def test_report_refuses_unclassified_or_csv_input(tmp_path):
    unclassified = write_jsonl(tmp_path / "posts.jsonl", [{"text": t} for t in POSTS])
    proc = rumorclf("report", unclassified, "-o", tmp_path / "r.html")
    assert proc.returncode != 0
    line = one_error_line(proc)
    assert "no label fields" in line and "rumorclf classify" in line
    a_csv = tmp_path / "out.csv"
    a_csv.write_text("text,pred_labels\nx,rumor\n", encoding="utf-8")
    proc = rumorclf("report", a_csv, "-o", tmp_path / "r.html")
    assert proc.returncode != 0 and "not JSON Lines" in one_error_line(proc)
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "r.csv").exists()


# ------------------------------------------------------------------------------ point 9
@pytest.mark.parametrize("command", ["train", "evaluate", "combine", "pretrain"])
def test_forwarded_commands_show_their_own_usage(command):
    pytest.importorskip("datasets", reason="training needs the train extra")
    helped = rumorclf(command, "--help")
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith(f"usage: rumorclf {command} "), helped.stdout[:200]


def test_bad_training_data_is_one_error_line(tmp_path):
    pytest.importorskip("datasets", reason="training needs the train extra")
    data = write_jsonl(tmp_path / "train.jsonl", [{"text": f"只有谣言{i}", "labels": ["rumor"]} for i in range(4)])
    proc = rumorclf("train", "--train", data, "--dev", data, "--out", tmp_path / "m", "--epochs", "1", "--quiet")
    assert proc.returncode == 1
    errors = [x for x in proc.stderr.splitlines() if x.startswith("error: ")]
    assert len(errors) == 1 and "no training example for labels" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------ point 10
def test_help_shows_no_value_after_flags():
    for command in ("classify", "labels", "report"):
        proc = rumorclf(command, "--help", env={"COLUMNS": "160"})
        assert proc.returncode == 0, proc.stderr
        assert "<bool>" not in proc.stdout, proc.stdout
    flags = rumorclf("classify", "--help", env={"COLUMNS": "160"}).stdout
    explain = next(x for x in flags.splitlines() if "--explain" in x)
    assert "<" not in explain.split("--explain", 1)[1].split("add evidence")[0]


# ------------------------------------------------------------------------------ point 13e
def test_missing_watchlist_is_a_clear_error(tiny_model_dir, tmp_path):
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": POSTS[0]}])
    proc = rumorclf("classify", src, "-o", tmp_path / "o.jsonl", "--watchlist", tmp_path / "nope.tsv")
    line = one_error_line(proc)
    assert "watchlist file not found" in line and "Errno" not in line
    assert leftovers(tmp_path / "o.jsonl") == []


def test_watchlist_works_without_pypinyin(tiny_model_dir, tmp_path):
    """A core install (no train extra) has no pypinyin: the watchlist still matches its names."""
    stub = tmp_path / "no_pypinyin"
    (stub / "pypinyin").mkdir(parents=True)
    (stub / "pypinyin" / "__init__.py").write_text("raise ImportError('no pypinyin here')\n")
    wl = tmp_path / "watchlist.tsv"
    wl.write_text("青禾乳业\t青禾|QH乳业\tcompany\n", encoding="utf-8")
    proc = rumorclf("classify", "--text", "青 禾 乳 业老板跑路了", "--watchlist", wl, "-m", tiny_model_dir,
                    env={"PYTHONPATH": os.pathsep.join([str(stub), os.environ.get("PYTHONPATH", "")])})
    assert proc.returncode == 0, proc.stderr
    assert "pip install pypinyin" in proc.stderr
    (row,) = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [t["name"] for t in row["pred_targets"]] == ["青禾乳业"]


# ------------------------------------------------------------------------------ point 16
def test_brackets_in_messages_are_printed_not_read_as_markup(tiny_model_dir, tmp_path):
    src = tmp_path / "posts[2024][red].csv"
    src.write_text("post_id,content\n1,x\n", encoding="utf-8")
    proc = rumorclf("classify", src, "-o", tmp_path / "o.jsonl", "-m", tiny_model_dir)
    assert "posts[2024][red].csv" in one_error_line(proc)

    # without Ray (a stub package that fails to import), the install hint keeps its [ray]
    stub = tmp_path / "no_ray"
    (stub / "ray").mkdir(parents=True)
    (stub / "ray" / "__init__.py").write_text("raise ImportError('no ray here')\n")
    good = write_jsonl(tmp_path / "in.jsonl", [{"text": POSTS[0]}])
    proc = rumorclf("classify", good, "-o", tmp_path / "r.jsonl", "--engine", "ray", "-m", tiny_model_dir,
                    env={"PYTHONPATH": os.pathsep.join([str(stub), os.environ.get("PYTHONPATH", "")])})
    assert "pip install 'rumorclf[ray]'" in one_error_line(proc)


def test_a_reader_that_stops_early_ends_the_run_quietly(tiny_model_dir, tmp_path):
    """`rumorclf classify - -o - | head -1`: no traceback and no error message when head exits."""
    exe = Path(sys.executable).with_name("rumorclf")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "rumorclf.cli"]
    src = write_jsonl(tmp_path / "in.jsonl", [{"text": f"第{i}条：{POSTS[i % 3]}"} for i in range(3000)])
    with open(src, "rb") as stdin:
        proc = subprocess.Popen([*cmd, "classify", "-", "-o", "-", "-m", str(tiny_model_dir), "--chunk-size", "2"],
                                stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env={**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"})
    assert json.loads(proc.stdout.readline())["text"].startswith("第0条")
    proc.stdout.close()  # what head does after its line
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=300) in (0, 1), stderr  # 1: click's exit on a closed pipe
    assert "Traceback" not in stderr and "error:" not in stderr, stderr
