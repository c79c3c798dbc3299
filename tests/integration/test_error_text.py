"""The wording of errors and summaries a user meets first."""

from conftest import run, write_tree


def warnings(r):
    return [line["msg"] for line in r.log() if line.get("level") == "warn"]


def test_an_unterminated_toml_string_says_the_closing_quote_is_missing(tmp):
    low = write_tree(tmp / "low", {"config.toml": 'model = "gpt-5\nx = 1\n'})
    r = run("--layer", low, "--dest", tmp / "dest", "--log-format", "text")
    assert r.code == 3, r
    assert "config.toml:1:" in r.stderr
    assert "a string is not closed: its closing quote is missing before the end of the line" in r.stderr
    assert "explicitly prohibited" not in r.stderr
    r2 = run("--layer", write_tree(tmp / "eof", {"config.toml": 'model = "gpt-5'}),
             "--dest", tmp / "dest", "--log-format", "text")
    assert r2.code == 3, r2
    assert "its closing quote is missing before the end of the file" in r2.stderr


def test_a_real_control_character_in_a_toml_string_keeps_its_own_message(tmp):
    low = write_tree(tmp / "low", {"config.toml": 'model = "a\x01b"\n'})
    r = run("--layer", low, "--dest", tmp / "dest", "--log-format", "text")
    assert r.code == 3, r
    assert "control characters" in r.stderr and "closing quote" not in r.stderr


def test_a_strict_type_conflict_does_not_claim_the_higher_layer_wins(tmp):
    low = write_tree(tmp / "low", {"a.json": '{"n": {"x": 1}}'})
    high = write_tree(tmp / "high", {"a.json": '{"n": 7}'})
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest", "--strict", "--log-format", "text")
    assert r.code == 3, r
    assert ("a.json: type conflict at n: a lower layer has a table, a higher one an integer; "
            "an error under --strict") in r.stderr
    assert "the higher layer wins" not in r.stderr
    r = run("--layer", low, "--layer", high, "--dest", tmp / "dest2")
    assert warnings(r) == [
        "a.json: type conflict at n: a lower layer has a table, a higher one an integer; "
        "the higher layer wins"]


def test_counts_are_singular_for_one(tmp):
    low = write_tree(tmp / "low", {"a.txt": "a\n"})
    r = run("--layer", low, "--dest", tmp / "dest", "--log-format", "text")
    assert r.code == 0, r
    assert "done: 1 file (1 created, 0 updated, 0 unchanged, 0 removed) from 1 layer into" in r.stderr
    r = run("verify", "--dest", tmp / "dest", "--log-format", "text")
    assert f"verified 1 file in {tmp / 'dest'}" in r.stderr
    r = run("plan", "--layer", low, "--dest", tmp / "dest", "--log-format", "text")
    assert "planned 1 file, 0 to change" in r.stderr


def test_a_misspelt_command_gets_a_suggestion(tmp):
    for typed, meant in [("materialise", "materialize"), ("paln", "plan"), ("verfy", "verify")]:
        r = run(typed, "--layer", tmp, "--dest", tmp / "dest", "--log-format", "text")
        assert r.code == 2, r
        assert f"unknown command '{typed}'; did you mean '{meant}'?" in r.stderr
    r = run("frobnicate", "--layer", tmp, "--dest", tmp / "dest", "--log-format", "text")
    assert "unknown command 'frobnicate' (see config-init --help)" in r.stderr
