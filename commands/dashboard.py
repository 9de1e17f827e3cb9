"""``effsearch dashboard``: the live optuna-dashboard on the search's storage.

Open it while a search runs to watch trials arrive; every trial's effsearch attributes (arch
code, MACs, params, accuracy, reward, reason, role) are in its trial table. Binds to 127.0.0.1
unless ``--host`` says otherwise (then a warning: the dashboard has no login).
"""

from __future__ import annotations

import argparse

from commands import flags

NAME = "dashboard"
HELP = "Serve the live optuna-dashboard on a storage (localhost only unless --host says otherwise)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_storage(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (0 = any free port)")


def run(args: argparse.Namespace) -> int:
    from results.dashboard import serve

    serve(args.storage, args.host, args.port)
    return 0
