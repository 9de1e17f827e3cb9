"""``effsearch dashboard``: the live optuna-dashboard on the search's storage.

Open it while a search runs to watch trials arrive; every trial's effsearch attributes (arch
code, MACs, params, accuracy, reward, reason, role) are in its trial table. Binds to 127.0.0.1;
a ``--host`` other machines can reach (or an empty one, which binds every interface) is refused
unless ``--allow-remote`` is given, and then a warning is shown: the dashboard has no login.
"""

from __future__ import annotations

import argparse

from commands import flags

NAME = "dashboard"
HELP = "Serve the live optuna-dashboard on a storage (localhost only unless --allow-remote)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    flags.add_storage(parser)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (0 = any free port)")
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="allow a --host other machines can reach (the dashboard has no login; a warning is shown)",
    )


def run(args: argparse.Namespace) -> int:
    from results.dashboard import serve

    serve(args.storage, args.host, args.port, allow_remote=args.allow_remote)
    return 0
