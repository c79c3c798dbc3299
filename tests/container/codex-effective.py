#!/usr/bin/env python3
"""Prints the settings the real Codex CLI would run a session with, as JSON on stdout.

Usage: codex-effective.py COMMAND...   (COMMAND runs `codex app-server`, e.g. through
       `podman run -i ... codex app-server`)

It speaks the app server's JSON-RPC over the command's stdin/stdout, offline:
`initialize`, then `config/read` (the merged config.toml layers, before requirements are
applied) and `thread/start` (a new thread: its response carries the approval policy,
sandbox and model the session would actually use, after /etc/codex/requirements.toml
constrained them). No turn is started, so no model is called and no network is needed.
Checked with codex-cli 0.171.0.

Output: {"approvalPolicy": ..., "sandbox": ..., "model": ..., "reasoningEffort": ...,
                                                                          (thread/start)
         "configured": {"approval_policy": ..., "model": ...},           (config/read)
         "warnings": [...]}                                              (configWarning)
Exit: 0, or 1 with the reason on stderr (a JSON-RPC error, codex exiting early, a timeout).
"""

import json
import subprocess
import sys
import threading

TIMEOUT = 60


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()
    warnings = []

    def send(message):
        proc.stdin.write(json.dumps(message) + "\n")
        proc.stdin.flush()

    def reply(request_id):
        for line in proc.stdout:
            message = json.loads(line)
            if message.get("method") == "configWarning":
                warnings.append(message["params"].get("summary", ""))
            if message.get("id") == request_id and "method" not in message:
                if "error" in message:
                    raise RuntimeError(f"request {request_id}: {message['error']}")
                return message["result"]
        raise RuntimeError(f"codex exited (or timed out) before answering request {request_id}")

    try:
        send({"id": 1, "method": "initialize",
              "params": {"clientInfo": {"name": "config-init-tests", "version": "1"}}})
        reply(1)
        send({"method": "initialized"})
        send({"id": 2, "method": "config/read", "params": {"includeLayers": False}})
        config = reply(2)["config"]
        send({"id": 3, "method": "thread/start", "params": {}})
        thread = reply(3)
    except (RuntimeError, json.JSONDecodeError, BrokenPipeError) as e:
        print(f"codex-effective: {e}", file=sys.stderr)
        proc.kill()
        return 1
    finally:
        timer.cancel()
    proc.stdin.close()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    json.dump({"approvalPolicy": thread["approvalPolicy"], "sandbox": thread["sandbox"],
               "model": thread["model"], "reasoningEffort": thread.get("reasoningEffort"),
               "configured": {"approval_policy": config.get("approval_policy"),
                              "model": config.get("model")},
               "warnings": warnings}, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
