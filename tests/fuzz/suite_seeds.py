"""Writes the files of the public conformance suites (installed in the cache by
tests/conformance/install-suites.sh) as seed inputs for the fuzz targets, one file per case:
  python3 tests/fuzz/suite_seeds.py CACHE OUT   ->  OUT/fuzz_toml, OUT/fuzz_yaml, OUT/fuzz_json
They are read-only extra seed directories of a fuzz run (tests/fuzz/run.sh), never part
of the repository."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "conformance"))

import suites  # noqa: E402


def main(cache, out):
    loaders = {"fuzz_toml": suites.toml_cases, "fuzz_yaml": suites.yaml_cases,
               "fuzz_json": suites.json_cases}
    for target, load in loaders.items():
        directory = out / target
        directory.mkdir(parents=True, exist_ok=True)
        cases = load(cache)
        for number, case in enumerate(cases):
            (directory / f"{number:04d}-{case.file_name}").write_bytes(case.data)
        print(f"suite seeds: {len(cases)} files in {directory}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
