"""The log line of a backup says why the file was backed up."""

from conftest import run, write_tree


def warnings(r):
    return [line["msg"] for line in r.log() if line.get("level") == "warn"]


def test_the_backup_message_says_why(tmp):
    low = write_tree(tmp / "low", {"AGENTS.md": "from the image\n"})
    dest = write_tree(tmp / "dest", {"AGENTS.md": "there before\n"})
    r = run("--layer", low, "--dest", dest)
    assert r.code == 0, r
    first, = warnings(r)
    assert first.startswith("AGENTS.md existed before config-init managed it; that version is kept as "), r
    (dest / "AGENTS.md").write_text("the app's edit\n")
    r = run("--layer", low, "--dest", dest)
    second, = warnings(r)
    assert second.startswith("AGENTS.md was changed by the app since the last run; its version is kept as "), r
