"""Batch classification under hostile input and hard kills.

1. Random malformed JSONL / CSV (seeded, 20 + 8 trials) through the CLI: every input line ends up
   either in the output or in the errors file (exactly the malformed ones, by line number), and good
   records come out in input order with all their fields intact.
2. Kill/resume trials: the CLI runs as a subprocess on ~3000 records with --chunk-size 32 and is
   SIGKILLed at a random moment after its first commit (JSONL -> JSONL: killed, resumed as a
   subprocess and killed again; CSV -> Parquet: killed once); re-running the same command must
   give byte for byte the output and errors file of an uninterrupted run (exactly once: no
   duplicate, no missing row). Set RUMORCLF_KILL_SEED to replay the kill delays of a run.
3. Regressions for defects these trials found (see the docstrings).
"""

from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rumorclf.cli import app

runner = CliRunner()
N_JSONL_TRIALS = 20
N_CSV_TRIALS = 8
KILL_SEED = int(os.environ.get("RUMORCLF_KILL_SEED", random.SystemRandom().randrange(1 << 30)))
OUTCOMES: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def _one_torch_thread(request):
    """One intra-op thread (the subprocesses get --threads 1 too, so every run computes alike);
    at the end, print the kill/resume trial outcomes (visible without -s)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
    if OUTCOMES:
        capman = request.config.pluginmanager.getplugin("capturemanager")
        rep = request.config.pluginmanager.getplugin("terminalreporter")
        with capman.global_and_fixture_disabled():
            rep.write_line("")
            rep.write_line(f"[test_batch_fuzz] kill/resume trials (RUMORCLF_KILL_SEED={KILL_SEED}):")
            for line in OUTCOMES:
                rep.write_line("  " + line)


def _classify(*args, ok=True):
    res = runner.invoke(app, ["classify", *map(str, args), "--no-progress", "--threads", "1"])
    if ok:
        assert res.exit_code == 0, res.output
    return res


def _read_jsonl(path: Path, missing_ok: bool = False) -> list[dict]:
    # split on "\n" only: str.splitlines() would also split inside strings holding a raw U+2028/U+0085
    if missing_ok and not path.exists():  # a finished run with no error removes its errors file
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def _pred_keys_ok(row: dict, input_keys) -> bool:
    extra = set(row) - set(input_keys)
    return all(k.startswith(("pred_", "score_")) for k in extra) and len([k for k in extra if k.startswith("score_")]) == 15


# ----------------------------------------------------------------------------- random JSONL

POSTS = ["鑫达科技老板跑路了，工厂停工", "今天天气不错", "寧德時代 要完了", "", "   ", "付费删帖，价格私聊",
         "😂😂😂", "a\u200bb\u202ec", "第一行\u2028第二行\u0085第三行", "含有\u0000空字符", "tab\there",
         "#话题# @某人 http://t.cn/x", "x" * 5000]


def _random_value(rnd: random.Random, depth: int = 0):
    kinds = ["int", "float", "str", "bool", "null"] + (["list", "dict"] if depth < 2 else [])
    k = rnd.choice(kinds)
    if k == "int":
        return rnd.choice([0, -1, 2**53, -(2**63), rnd.randint(-1000, 1000)])
    if k == "float":
        return rnd.choice([0.5, -1e300, 1e-300, 3.14159])
    if k == "str":
        return rnd.choice(["", "值", "a\"b\\c", "line\nbreak", "🇨🇳", "\u2028", "\u0000"])
    if k == "bool":
        return rnd.random() < 0.5
    if k == "null":
        return None
    if k == "list":
        return [_random_value(rnd, depth + 1) for _ in range(rnd.randint(0, 3))]
    return {rnd.choice(["k", "键", "nested key", "𝔘"]) + str(i): _random_value(rnd, depth + 1)
            for i in range(rnd.randint(0, 3))}


def _good_record(rnd: random.Random, n: int) -> dict:
    rec = {"id": n, "text": rnd.choice(POSTS)}
    if rnd.random() < 0.1:
        rec["text"] = "".join(rnd.choice(POSTS) for _ in range(40))  # a very long line
    for i in range(rnd.randint(0, 3)):
        rec[rnd.choice(["meta", "用户", "labels", "ts", "x"]) + str(i)] = _random_value(rnd)
    if rnd.random() < 0.3:  # the text field not first
        rec = dict(reversed(list(rec.items())))
    return rec


# (raw line without terminator, reason word expected in the errors file)
def _bad_line(rnd: random.Random) -> tuple[bytes, str]:
    kind = rnd.choice(["json", "json", "object", "missing", "type", "utf8", "utf8", "blank", "long", "nul"])
    if kind == "json":
        return rnd.choice([b"{bad json", b'{"text": "a"', b"{'text': 'single quotes'}", b"text",
                           b'{"text": "a"} {"text": "b"}', b'{"text": "a",}', b"\x1b[31m{}",
                           '{"text": "未闭合'.encode(), b'{"text": "a"}\r{"text": "b"}', b"NaN,"]), "bad JSON"
    if kind == "object":
        return rnd.choice([b"[1, 2]", b'"just a string"', b"42", b"null", b"true", b'[{"text": "a"}]']), "not a JSON object"
    if kind == "missing":
        return rnd.choice([b"{}", b'{"body": "no text field"}', b'{"Text": "wrong case"}']), "missing field"
    if kind == "type":
        return rnd.choice([b'{"text": 42}', b'{"text": null}', b'{"text": ["a"]}', b'{"text": {"a": 1}}',
                           b'{"text": true}', b'{"text": 1.5}']), "expected a string"
    if kind == "utf8":
        return rnd.choice([b"\xff\xfe\xfd", b'{"text": "\xe4\xb8"}', b'{"text": "\xc0\xaf"}',
                           b'{"text": "\xed\xa0\x80"}', b'{"id": 1, "text": "ok"}\x80']), "invalid UTF-8"
    if kind == "blank":
        return rnd.choice([b"", b"   ", b"\t", b"\r", b" \r"]), "blank"
    if kind == "long":
        return b'{"text": "' + b"x" * rnd.randint(100_000, 300_000), "bad JSON"
    return rnd.choice([b'{"text": "a\x00b"}', b"\x00", b'{"text": "ok"}\x00']), "bad JSON"


def _make_jsonl(rnd: random.Random, path: Path):
    """Write a random JSONL file; return (good records in order, {line number: reason word}, line count)."""
    n_lines = rnd.randint(1, 60)
    good, bad, chunks = [], {}, []
    for ln in range(1, n_lines + 1):
        if rnd.random() < 0.55:
            rec = _good_record(rnd, ln)
            raw = json.dumps(rec, ensure_ascii=rnd.random() < 0.5).encode("utf-8")
            if rnd.random() < 0.2:
                raw = b"  " + raw + b" \t"
            good.append(rec)
        else:
            raw, reason = _bad_line(rnd)
            bad[ln] = reason
        last = ln == n_lines
        term = rnd.choice([b"\n", b"\r\n"])
        if last and raw.rstrip(b"\r") and rnd.random() < 0.3:
            term = b""  # no newline at the end of the file
        chunks.append(raw + term)
    path.write_bytes(b"".join(chunks))
    return good, bad, n_lines


@pytest.mark.parametrize("trial", range(N_JSONL_TRIALS))
def test_random_malformed_jsonl_is_accounted_for(tiny_model_dir, tmp_path, trial):
    rnd = random.Random(1000 + trial)
    src = tmp_path / "in.jsonl"
    good, bad, n_lines = _make_jsonl(rnd, src)
    out = tmp_path / "out.jsonl"
    _classify(src, "-o", out, "-m", tiny_model_dir, "--chunk-size", rnd.choice([1, 3, 7, 64]),
              "--batch-size", rnd.choice([1, 4, 64]))
    rows = _read_jsonl(out)
    errors = _read_jsonl(tmp_path / "out.jsonl.errors.jsonl", missing_ok=not bad)
    assert len(rows) + len(errors) == n_lines
    assert [e["line"] for e in errors] == sorted(bad), "error line numbers must be exactly the malformed lines"
    for e in errors:
        assert bad[e["line"]].lower() in e["reason"].lower(), (e, bad[e["line"]])
        assert len(e["raw"]) <= 300
    assert len(rows) == len(good)
    for rec, row in zip(good, rows):  # input order, every field intact
        assert {k: row[k] for k in rec} == rec
        assert _pred_keys_ok(row, rec)
        assert row["pred_empty"] == (rec["text"].strip() == "")


# ----------------------------------------------------------------------------- random CSV

CSV_HEADER = ["post_id", "content", "note"]
CSV_TEXTS = ["鑫达科技老板跑路了", "含,逗号", 'has "quotes"', "多行\n文本", "", "😂", "a\u0000b", "  ", "x" * 3000]


def _make_csv(rnd: random.Random, path: Path):
    """Random CSV; return (good rows in order as dicts, {row number: reason word}, row count).
    Row numbers count data rows (the header excluded), as the errors file does."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator=rnd.choice(["\n", "\r\n"]))
    w.writerow(CSV_HEADER)
    head = buf.getvalue().encode("utf-8")
    n_rows = rnd.randint(1, 40)
    good, bad, parts = [], {}, [head]
    for r in range(1, n_rows + 1):
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator=rnd.choice(["\n", "\r\n"]))
        kind = rnd.choice(["good"] * 5 + ["short", "long", "blank", "utf8"])
        if kind == "good":
            row = [str(r), rnd.choice(CSV_TEXTS), rnd.choice(["", "备注", "a,b", "q\"q"])]
            w.writerow(row)
            good.append(dict(zip(CSV_HEADER, row)))
            parts.append(buf.getvalue().encode("utf-8"))
        elif kind == "short":
            w.writerow([str(r), rnd.choice(CSV_TEXTS)][: rnd.randint(1, 2)])
            bad[r] = "expected 3 fields"
            parts.append(buf.getvalue().encode("utf-8"))
        elif kind == "long":
            w.writerow([str(r), "文本", "x", "extra"] + ["more"] * rnd.randint(0, 3))
            bad[r] = "expected 3 fields"
            parts.append(buf.getvalue().encode("utf-8"))
        elif kind == "blank":
            bad[r] = "expected 3 fields"
            parts.append(b"\n")
        else:
            bad[r] = "invalid UTF-8"
            parts.append(f"{r},".encode() + rnd.choice([b"\xff\xfe", b"\xe4\xb8", b"ok\x80"]) + b",note\n")
    path.write_bytes(b"".join(parts))
    return good, bad, n_rows


@pytest.mark.parametrize("trial", range(N_CSV_TRIALS))
def test_random_malformed_csv_is_accounted_for(tiny_model_dir, tmp_path, trial):
    rnd = random.Random(2000 + trial)
    src = tmp_path / "in.csv"
    good, bad, n_rows = _make_csv(rnd, src)
    out = tmp_path / "out.jsonl"
    _classify(src, "-o", out, "-m", tiny_model_dir, "-f", "content", "--chunk-size", rnd.choice([1, 5, 64]))
    rows = _read_jsonl(out)
    errors = _read_jsonl(tmp_path / "out.jsonl.errors.jsonl", missing_ok=not bad)
    assert len(rows) + len(errors) == n_rows
    assert [e["line"] for e in errors] == sorted(bad)
    for e in errors:
        assert bad[e["line"]].lower() in e["reason"].lower(), (e, bad[e["line"]])
    assert len(rows) == len(good)
    for rec, row in zip(good, rows):
        assert {k: row[k] for k in rec} == rec
        assert _pred_keys_ok(row, rec)


# ----------------------------------------------------------------------------- kill / resume

def _spawn(args: list) -> subprocess.Popen:
    """The CLI in a fresh interpreter (so SIGKILL hits a real process), one torch thread."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "rumorclf.cli", "classify", *map(str, args),
                             "--no-progress", "--threads", "1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=Path(__file__).resolve().parents[1])


def _kill_at_random(args: list, state: Path, rnd: random.Random, max_delay: float) -> str:
    """Start the CLI, wait for its first commit (a resumed run: its first new commit), sleep a random
    time, SIGKILL it; describe what happened."""
    def committed() -> int:
        return json.loads(state.read_text(encoding="utf-8"))["records_done"] if state.exists() else -1

    before = committed()
    proc = _spawn(args)
    deadline = time.time() + 120
    while committed() <= before and proc.poll() is None and time.time() < deadline:
        time.sleep(0.005)
    assert state.exists(), f"no progress file appeared (rc={proc.poll()}): {proc.stderr.read().decode()[-2000:]}"
    delay = rnd.uniform(0, max_delay)
    time.sleep(delay)
    finished = proc.poll() is not None
    if not finished:
        proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stderr.close()
    done = json.loads(state.read_text(encoding="utf-8"))
    if finished:
        return f"delay {delay:.2f}s: the run had already finished (rc={proc.returncode})"
    assert proc.returncode == -signal.SIGKILL
    return (f"delay {delay:.2f}s: killed at {done['records_done']} records committed, "
            f"complete={done['complete']}")


def _write_inputs(tmp_path: Path, fmt: str, n: int = 3000) -> tuple[Path, int, list[str]]:
    rnd = random.Random(42)
    texts = [f"第{i}条：{rnd.choice(POSTS[:10])}{i % 7}" for i in range(n)]
    if fmt == "jsonl":
        src = tmp_path / "in.jsonl"
        lines = []
        for i, t in enumerate(texts):
            lines.append(json.dumps({"id": i, "text": t}, ensure_ascii=False).encode())
            if i % 400 == 13:
                lines.append(b"{broken")
            if i % 700 == 5:
                lines.append(b"\xff\xfe")
        src.write_bytes(b"\n".join(lines) + b"\n")
        return src, len(lines), []
    src = tmp_path / "in.csv"
    with open(src, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "content"])
        rows = 0
        for i, t in enumerate(texts):
            w.writerow([i, t])
            rows += 1
            if i % 500 == 9:
                w.writerow([i, t, "too many"])
                rows += 1
    return src, rows, ["-f", "content"]


@pytest.mark.parametrize("in_fmt, out_name, kills", [("jsonl", "out.jsonl", 2), ("csv", "out.parquet", 1)])
def test_random_sigkill_then_resume_is_exactly_once(tiny_model_dir, tmp_path, in_fmt, out_name, kills):
    rnd = random.Random(f"{KILL_SEED}-{in_fmt}-{out_name}")
    src, n_records, extra = _write_inputs(tmp_path, in_fmt)
    args = [src, "-m", tiny_model_dir, "--chunk-size", 32, *extra]

    ref = tmp_path / "ref" / out_name
    ref.parent.mkdir()
    started = time.perf_counter()
    _classify(*args, "-o", ref)  # the uninterrupted run, in this process
    ref_seconds = max(time.perf_counter() - started, 0.2)  # its time (a finished run keeps no state)

    out = tmp_path / "run" / out_name
    out.parent.mkdir()
    state = out.with_name(out.name + ".progress.json")
    for k in range(kills):
        # a random delay within the time the (resumed) run still needs, so most kills land mid-run
        left = 1 - (json.loads(state.read_text(encoding="utf-8"))["records_done"] / n_records if state.exists() else 0)
        outcome = _kill_at_random([*args, "-o", out], state, rnd, max_delay=0.6 * left * ref_seconds)
        OUTCOMES.append(f"{in_fmt}->{out_name} kill {k + 1}: {outcome}")
        done = json.loads(state.read_text(encoding="utf-8"))
        assert done["written"] + done["errors"] == done["records_done"] <= n_records
    # the re-run: in this process (only the killed runs need to be real processes), same command
    res = _classify(*args, "-o", out)
    if "complete=False" in OUTCOMES[-1]:  # the last kill left an unfinished run
        assert "resuming after" in " ".join(res.output.split())

    assert not state.exists(), "a finished run removes its progress file"
    assert f"records: {n_records}" in res.output
    assert (out.with_name(out.name + ".errors.jsonl").read_bytes()
            == ref.with_name(ref.name + ".errors.jsonl").read_bytes())
    if out.suffix == ".parquet":
        import pyarrow.parquet as pq

        assert pq.read_table(out).equals(pq.read_table(ref))
        assert not out.with_name(out.name + ".parts").exists()
    assert out.read_bytes() == ref.read_bytes(), "resumed output differs from an uninterrupted run"
    OUTCOMES.append(f"{in_fmt}->{out_name}: resumed output == uninterrupted output "
                    f"({n_records} records, {out.stat().st_size} bytes)")


# ----------------------------------------------------------------------------- regressions


def test_lone_surrogate_escape_is_one_error_row_not_a_failed_run(tiny_model_dir, tmp_path):
    """`{"text": "\\ud800"}` is valid JSON and valid UTF-8, but decodes to a lone surrogate: it must
    become one error row (or be classified), not abort the whole run and every re-run after it."""
    src = tmp_path / "in.jsonl"
    src.write_bytes(b'{"text": "ok"}\n{"text": "a\\ud800b"}\n{"text": "fine", "x": "\\udc00"}\n{"text": "end"}\n')
    out = tmp_path / "out.jsonl"
    res = _classify(src, "-o", out, "-m", tiny_model_dir, ok=False)
    assert res.exit_code == 0, res.output
    rows = _read_jsonl(out)
    errors = _read_jsonl(tmp_path / "out.jsonl.errors.jsonl", missing_ok=True)
    assert len(rows) + len(errors) == 4
    assert rows[0]["text"] == "ok" and rows[-1]["text"] == "end"



def test_run_interrupted_before_its_first_commit_can_be_rerun(tmp_path):
    """A run stopped before its first chunk is committed (Ctrl-C or SIGKILL while the first chunk is
    classified, e.g. with the default --chunk-size 1024 on a slow model) leaves OUTPUT and
    OUTPUT.errors.jsonl behind but no progress file; the same command must then start over or
    resume, not refuse with 'exists and is not an unfinished rumorclf run'."""
    from rumorclf.batchio import classify_file

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"text": f"帖子{i}"}, ensure_ascii=False) + "\n" for i in range(10)),
                   encoding="utf-8")
    out = tmp_path / "out.jsonl"

    def interrupted(texts):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        classify_file(src, out, interrupted, chunk_size=4, progress=False)
    summary = classify_file(src, out, lambda texts: [{"n": len(t)} for t in texts], chunk_size=4, progress=False)
    assert summary["written"] == 10
    assert len(_read_jsonl(out)) == 10



def test_parquet_crash_after_merge_does_not_lose_rows(tmp_path, monkeypatch):
    """Parquet output is merged from its part files, then the parts are deleted, then the final state
    is written. A crash after the merge but before that state write leaves an unfinished state whose
    parts are gone; the re-run must keep the merged rows (it currently replaces the file by an
    empty one)."""
    import pyarrow.parquet as pq

    from rumorclf.batch import run as batchio  # classify_file and the _write_state it calls (issue 17)

    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": i, "text": f"t{i}"}) + "\n" for i in range(100)), encoding="utf-8")
    out = tmp_path / "out.parquet"
    real_write_state = batchio._write_state

    class Crash(Exception):
        pass

    def crash_on_completion(path, state):
        if state.get("complete"):
            raise Crash
        real_write_state(path, state)

    monkeypatch.setattr(batchio, "_write_state", crash_on_completion)
    with pytest.raises(Crash):
        batchio.classify_file(src, out, lambda texts: [{"n": len(t)} for t in texts], chunk_size=10, progress=False)
    assert pq.read_table(out).num_rows == 100
    monkeypatch.setattr(batchio, "_write_state", real_write_state)
    summary = batchio.classify_file(src, out, lambda texts: [{"n": len(t)} for t in texts], chunk_size=10,
                                    progress=False)
    assert summary["written"] == 100
    table = pq.read_table(out)
    assert table.num_rows == 100, f"the re-run left {table.num_rows} of the 100 merged rows"
    assert table.column("id").to_pylist() == list(range(100))



@pytest.mark.parametrize("chunk_size", [1, 10])
def test_parquet_output_of_records_with_differing_field_types(tmp_path, chunk_size):
    """JSONL records whose extra fields change type from record to record (common in scraped data)
    must not crash Parquet output: within a chunk (ArrowInvalid) or when the parts are merged at the
    very end of the run (ArrowTypeError, after all the work is done)."""
    import pyarrow.parquet as pq

    from rumorclf.batchio import classify_file

    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "a", "x": 1}\n{"text": "b", "x": "s"}\n', encoding="utf-8")
    out = tmp_path / "out.parquet"
    classify_file(src, out, lambda texts: [{"n": len(t)} for t in texts], chunk_size=chunk_size, progress=False)
    assert pq.read_table(out).num_rows == 2
