"""Proving releases the GIL and reports progress."""

import threading
import time

import numpy as np
import pytest

import starkml
from conftest import data, load_json


@pytest.fixture(scope="module")
def batched():
    # 32 samples of mlp_large in one proof: long enough (tens of ms and more) to observe.
    return starkml.compile(
        data("mlp_large.onnx"), calibration=data("mlp_large.calib.json"), batch=32
    )


def samples(n):
    rows = load_json("mlp_large.calib.json")["inputs"]
    return np.asarray([rows[k % len(rows)] for k in range(n)])


def test_another_thread_runs_while_proving(batched):
    ticks = []
    stop = threading.Event()

    def count():
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    t = threading.Thread(target=count)
    t.start()
    time.sleep(0.01)
    start = time.perf_counter()
    proof = starkml.prove(batched, samples(32))
    end = time.perf_counter()
    stop.set()
    t.join()
    during = [x for x in ticks if start < x < end]
    # With the GIL held for the whole proof the counter could not tick in between.
    assert end - start > 0.02, f"the proof took only {end - start:.3f} s"
    assert len(during) >= 5, f"{len(during)} ticks in {end - start:.3f} s of proving"
    assert len(starkml.verify(batched, proof).classes) == 32


def test_progress_reports_each_stage_in_order(batched):
    seen = []
    starkml.prove(batched, samples(32), progress=lambda stage, rows, t: seen.append((stage, rows, t)))
    assert [s for s, _, _ in seen] == ["run", "schedule", "trace", "stark"]
    rows = seen[2][1]
    assert rows and rows & (rows - 1) == 0 and seen[3][1] == rows
    assert all(a[2] <= b[2] for a, b in zip(seen, seen[1:]))


def test_a_failing_progress_callback_raises_after_the_proof(batched):
    def fail(stage, rows, t):
        raise KeyError("from the callback")

    with pytest.raises(KeyError, match="from the callback"):
        starkml.prove(batched, samples(32), progress=fail)


def test_progress_true_prints_without_tqdm(batched, capsys):
    starkml.prove(batched, samples(32), progress=True)
    err = capsys.readouterr().err
    assert "stark" in err
