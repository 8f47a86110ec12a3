"""``oversight notices address|list`` and ``oversight worker notices --once`` (both backends):
an address kept for a recipient is where its notices go; a bad recipient or address is
refused by name and keeps nothing."""

from __future__ import annotations

import pytest

from bootstrap import build_application
from bootstrap.cli import main
from bootstrap.read_models import build_projections
from config.settings import Settings
from projections.notices import NoticeBoard
from tests.api.test_cli import use


def test_addresses_kept_and_refused(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use(monkeypatch, settings)
    assert main(["notices", "address", "officer:li.wei", "li.wei@hrss.example.cn"]) == 0
    assert main(["notices", "address", "clerk:li.wei", "li.wei@hrss.example.cn"]) == 2
    assert "refused (recipient)" in capsys.readouterr().err
    assert main(["notices", "address", "institution:not-an-id", "a@b.cn"]) == 2
    assert main(["notices", "address", "officer:zhao.min", "not an address"]) == 2
    assert "refused (email)" in capsys.readouterr().err
    app = build_application(settings)
    views = build_projections(settings, app)
    try:
        with views.store.reading() as session:
            board = NoticeBoard(views.store)
            assert board.address(session, "officer:li.wei") == "li.wei@hrss.example.cn"
            assert board.address(session, "officer:zhao.min") is None
    finally:
        views.close()
        app.close()
    assert main(["worker", "notices", "--once"]) == 0
    assert main(["notices", "list"]) == 0
    assert capsys.readouterr().out == ""  # nothing is due in an empty store
