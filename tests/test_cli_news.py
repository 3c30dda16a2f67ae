"""News CLI: `news fetch` and `news list` in-process through main(), with the network and model stubbed."""

from __future__ import annotations

import json
import socket
from urllib.error import URLError

import pytest

from engine.__main__ import main
from engine.config import get_settings
from tests.news_helpers import fake_model, stub_network  # noqa: F401


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, stub_network, fake_model):  # noqa: ANN001, ANN201, F811
    monkeypatch.setenv("QUANTDESK_WATCHLIST", "RELIANCE.NS,TCS.NS,INFY.NS")
    get_settings.cache_clear()
    return stub_network


def run(capsys, *argv: str) -> tuple[int, str, str]:  # noqa: ANN001
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_fetch_json_reports_counts_and_the_model(capsys, env) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "news", "fetch", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert (report["status"], report["fetched"], report["new"], report["scored"]) == ("ok", 7, 7, 7)
    assert report["model"] == "finance-lexicon" and report["model_label"] == "lexicon (offline fallback)"
    assert sorted(report["indexed"]) == ["INFY.NS", "RELIANCE.NS", "TCS.NS"]
    code, out, _ = run(capsys, "news", "fetch", "--symbols", "tcs.ns", "--json")
    again = json.loads(out)
    assert again["symbols"] == ["TCS.NS"] and again["new"] == 0 and "RELIANCE.NS" not in env["calls"][-3:]


def test_fetch_text_shows_progress_on_stderr(capsys, env) -> None:  # noqa: ANN001
    code, out, err = run(capsys, "news", "fetch")
    assert code == 0 and out.startswith("ok: 7 headlines fetched, 7 new")
    assert "[1/5] RELIANCE.NS" in err and "index rebuilt for" in out


def test_fetch_offline_is_one_error_line_and_exit_1(capsys, env) -> None:  # noqa: ANN001
    env["yahoo"] = ConnectionError("no DNS")
    env["feed"] = URLError(socket.gaierror(-3, "Temporary failure in name resolution"))
    code, out, err = run(capsys, "news", "fetch", "--json")
    assert code == 1 and json.loads(out)["status"] == "offline"
    assert err == "error: offline — no news source reachable; stored news kept\n"


def test_list_filters_and_json(capsys, env) -> None:  # noqa: ANN001
    run(capsys, "news", "fetch", "--json")
    code, out, _ = run(capsys, "news", "list", "--symbol", "TCS.NS", "--json")
    rows = json.loads(out)
    assert code == 0 and [r["title"] for r in rows] == ["TCS falls after weak deal guidance",
                                                         "TCS wins large deal from UK insurer"]
    assert rows[0]["label"] == "negative" and rows[0]["score"] == -0.6 and rows[0]["published_at"].endswith("+00:00")
    code, out, _ = run(capsys, "news", "list", "--limit", "2", "--json")
    assert len(json.loads(out)) == 2
    code, out, _ = run(capsys, "news", "list", "--label", "positive", "--search", "infosys")
    assert len(out.splitlines()) == 1 and " ".join(out.split()) == (
        "04 Jun 14:45 IST positive +0.80 lexicon (offline fallback) INFY.NS Infosys rises after upbeat outlook")


def test_list_empty_and_bad_input(capsys, env) -> None:  # noqa: ANN001
    code, out, _ = run(capsys, "news", "list", "--symbol", "AAPL")
    assert code == 0 and "no stored news for AAPL" in out
    code, out, err = run(capsys, "news", "list", "--limit", "0")
    assert code == 1 and err.startswith("error: --limit must be at least 1")
    code, _, err = run(capsys, "news", "list", "--symbol", "not a symbol!")
    assert code == 1 and "not a valid symbol" in err
