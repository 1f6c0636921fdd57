"""The test process keeps Werkzeug's URL-builder functions from one app to the next
(tests/conftest.py, _keep_url_builders): they must be exactly what Werkzeug writes for each
rule of a new app, and build the same URLs."""

from werkzeug.routing import Rule

from booking import create_app
from tests.conftest import make_config


def _code(fn):
    c = fn.__code__
    return (c.co_code, c.co_consts, c.co_names, c.co_varnames, c.co_argcount, c.co_name, fn.__defaults__)


def test_every_kept_builder_is_the_one_werkzeug_writes(tmp_path):
    kept = Rule._compile_builder
    assert getattr(kept, "kept", False), "the suite builds its apps without the kept builders"
    first = create_app(make_config(f"sqlite:///{tmp_path / 'a.sqlite3'}"))
    second = create_app(make_config(f"sqlite:///{tmp_path / 'b.sqlite3'}"))
    rules = {r.endpoint: r for r in second.url_map.iter_rules()}
    assert len(rules) > 100
    for before in first.url_map.iter_rules():
        rule = rules[before.endpoint]
        for append_unknown in (False, True):
            assert _code(kept(rule, append_unknown)) == _code(kept.original(rule, append_unknown)), rule.rule
        assert rule._build.__self__ is rule and rule._build_unknown.__self__ is rule  # bound to its own rule


def _value(converter):
    items = getattr(converter, "items", None)  # an <any(...)> part
    return sorted(items)[0] if items else (7 if converter.regex.startswith("\\d") else "x")


def test_urls_built_by_a_second_app_are_its_own(tmp_path):
    for n, host in enumerate(("one.test", "two.test")):
        app = create_app(make_config(f"sqlite:///{tmp_path / f'{n}.sqlite3'}", SERVER_NAME=host))
        adapter = app.url_map.bind(host)
        for rule in app.url_map.iter_rules():
            values = {name: _value(c) for name, c in rule._converters.items()}
            url = adapter.build(rule.endpoint, {**values, "extra": "a b"}, force_external=True)
            assert url.startswith(f"http://{host}/") and url.endswith("extra=a+b"), url
            method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
            assert adapter.match(url.split(host, 1)[1].split("?")[0], method=method)[0] == rule.endpoint
