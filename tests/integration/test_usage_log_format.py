"""Usage errors are logged in the format asked for."""

from conftest import run


def test_usage_errors_honour_the_log_format(tmp):
    # stderr is a pipe here: JSON by default, text when asked for by flag or variable.
    r = run("--bogus")
    assert r.code == 2 and r.stderr.startswith("{"), r
    for args, env in [(["--log-format", "text", "--bogus"], None),
                      (["--bogus", "--log-format=text"], None),
                      (["--bogus"], {"CONFIG_INIT_LOG_FORMAT": "text"}),
                      (["--layer", tmp, "--dest", tmp / "d", "--log-format", "text", "--arrays", "x"], None)]:
        r = run(*args, env=env)
        assert r.code == 2, r
        assert r.stderr.startswith("config-init: "), (args, r)
        assert "{" not in r.stderr.splitlines()[0][:1]
    # The flag wins over the variable, as for every flag.
    r = run("--log-format", "json", "--bogus", env={"CONFIG_INIT_LOG_FORMAT": "text"})
    assert r.stderr.startswith("{"), r
