"""booking.App: Flask with ensure_sync's answer remembered per handler."""

import pytest
from flask import Flask

from booking import App


def test_ensure_sync_answers_as_flasks_own_and_remembers():
    app = App(__name__)

    def view():
        return "plain"

    async def coroutine_view():
        return "async"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is view  # the second time from what it remembered
    assert app._coroutine == {view: False}
    for ask in (Flask.ensure_sync, App.ensure_sync, App.ensure_sync):  # no asgiref here: both refuse alike
        with pytest.raises(RuntimeError, match="async"):
            ask(app, coroutine_view)
    assert app._coroutine[coroutine_view] is True


def test_its_memory_stays_bounded():
    app = App(__name__)
    for _ in range(App._COROUTINE_CACHE_MAX + 10):
        app.ensure_sync(lambda: None)  # a handler made per call
    assert len(app._coroutine) <= App._COROUTINE_CACHE_MAX
