"""Every experiment script runs at --small size and leaves a tidy table, its figures and a conclusion.

Each script runs in a subprocess, as a user would start it
(``python experiments/<name>.py --small --out DIR``), on the numba engine.
The numbers are not checked here (at this size they are noise); what is
checked is the contract: exit status 0, the long table as CSV and Parquet
with the expected columns and no missing keys, every PNG, the conclusion.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
TIDY = ["scenario", "policy", "replication", "metric", "value"]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

SCRIPTS = {
    "allocation_policies": ["forest", "nps_over_time", "utilisation"],
    "priority_rules": ["priority_baseline", "priority_hospital"],
    "investment_mix": ["investment_effects", "investment_nps_over_time"],
    "service_profit_chain": ["fact1_convexity", "fact2_abandonment", "fact5_back_office_lag", "fact6_lead_lag", "fact10_units",
                             "fact7_churn"],
}


def numba_engine() -> str:
    try:
        import orgsim.kernels.run  # noqa: F401
    except ImportError as exc:  # a clear failure, not a skip: the scripts default to this engine
        pytest.fail(f"the numba engine (orgsim.kernels.run) cannot be imported: {exc}")
    return "numba"


def run_script(name: str, out: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, str(ROOT / "experiments" / f"{name}.py"), "--small", "--out", str(out), "--engine", numba_engine()]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=170)


def read_both(out: Path, table: str) -> pd.DataFrame:
    csv, parquet = out / f"{table}.csv", out / f"{table}.parquet"
    assert csv.is_file() and parquet.is_file(), f"{table}.csv/.parquet missing in {sorted(p.name for p in out.iterdir())}"
    a, b = pd.read_csv(csv), pd.read_parquet(parquet)
    assert list(a.columns) == list(b.columns) and len(a) == len(b), f"{table}: CSV and Parquet differ"
    return b


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_script_writes_tidy_table_figures_and_conclusion(name, tmp_path):
    out = tmp_path / name
    proc = run_script(name, out)
    assert proc.returncode == 0, (
        f"{name} exited {proc.returncode}\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    )

    df = read_both(out, name)
    assert list(df.columns) == TIDY, f"{name}: columns {list(df.columns)}"
    assert len(df) > 0
    assert not df[["scenario", "policy", "replication", "metric"]].isna().any().any(), f"{name}: missing keys"
    assert (df.scenario.astype(str).str.len() > 0).all() and (df.metric.astype(str).str.len() > 0).all()
    assert df.value.notna().any(), f"{name}: every value is missing"
    assert not df.duplicated(["scenario", "policy", "replication", "metric"]).any(), f"{name}: not one row per observation"

    for fig in SCRIPTS[name]:
        png = out / f"{fig}.png"
        assert png.is_file(), f"{name}: {fig}.png missing"
        assert png.read_bytes()[:8] == PNG_MAGIC
    assert not list(out.glob(".*.part")), "a temporary file was left behind"

    conclusion = (out / "conclusion.txt").read_text(encoding="utf-8")
    assert conclusion.strip() and conclusion.strip() in proc.stdout

    if name == "service_profit_chain":
        facts = read_both(out, "facts")
        assert {"fact", "claim", "expected", "source", "observed", "status"} <= set(facts.columns)
        assert set(facts.status) <= {"PASS", "FAIL", "NOT MEASURED"}
        assert sorted(facts.fact.astype(int)) == list(range(1, 16))  # the fifteen facts, none left out
        for _, row in facts.iterrows():
            assert f"[{row.status}] {row.fact} {row.claim}: " in proc.stdout and f"({row.source})" in proc.stdout


def test_bad_flag_is_a_usage_error(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "investment_mix.py"), "--replications", "1", "--out", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 2 and "--replications" in proc.stderr and "Traceback" not in proc.stderr
