"""explain names the layer of each element of a combined array."""

from conftest import run, write_tree

ALLOW_LOW = '{"permissions": {"allow": ["Read"], "deny": ["Bash(rm)"]}}'
ALLOW_HIGH = '{"permissions": {"allow": ["Edit"], "deny": ["Bash(curl)"]}}'


def test_explain_names_the_layer_of_each_element_of_a_union_array(tmp):
    low = write_tree(tmp / "low", {"settings.json": ALLOW_LOW})
    high = write_tree(tmp / "high", {"settings.json": ALLOW_HIGH})
    r = run("explain", "--layer", low, "--layer", high, "--arrays", "settings.json=union",
            "settings.json")
    assert r.code == 0, r
    assert r.stdout.splitlines() == [
        f'layer 1:{low}/settings.json\tpermissions.allow[0] = "Read"',
        f'layer 2:{high}/settings.json\tpermissions.allow[1] = "Edit"',
        f'layer 1:{low}/settings.json\tpermissions.deny[0] = "Bash(rm)"',
        f'layer 2:{high}/settings.json\tpermissions.deny[1] = "Bash(curl)"',
    ]
