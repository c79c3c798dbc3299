#!/usr/bin/env bash
# The shell entrypoint config-init replaces (docs/contract.md, "the behaviour to beat"),
# with the two layers and the destination as arguments instead of fixed paths:
#   bench/baseline.sh DEFAULTS_LAYER OVERLAY_LAYER DEST
cp -afL "$1/." "$3/" || exit 1                                  # layer 1: image defaults
cp -afL "$2/." "$3/" || exit 1                                  # layer 2: ConfigMap overlay
[ -n "$(find "$3" -mindepth 1 -print -quit)" ] || exit 1        # "smoke check"
