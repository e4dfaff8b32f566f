"""`hftour hub serve`, `hftour hub user add` and `hftour hub publish-standins`: run the Hub sandbox for a class."""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

DEFAULT_DATA = Path("hub-data")
DEFAULT_PORT = 8765


def _port(text: str) -> int:
    """The --port value, refused with one line (what is wrong, what to do) instead of a traceback."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise ValueError(f"--port {text!r} is not a port number: use one between 1 and 65535 (default {DEFAULT_PORT})")
    return int(text)


def _serve(args: argparse.Namespace) -> int:
    from .server import serve

    try:
        port = _port(args.port)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    data = Path(args.data).resolve()
    endpoint = f"http://{args.host}:{port}"
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    print(f"hftour hub sandbox: data in {data}")
    print(f"endpoint {endpoint}")
    print("clients: export HF_ENDPOINT=" + endpoint + " HF_HUB_DISABLE_XET=1 HF_TOKEN=<a token from `hftour hub user add`>")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host}, so other machines can reach this sandbox (tokens travel in clear)")
    sys.stdout.flush()
    try:
        serve(data, host=args.host, port=port)
    except OSError as err:  # port taken or privileged, unknown host, unusable --data folder
        print(f"error: cannot serve on {args.host}:{port} with data in {data}: {err.strerror or err}; "
              "choose another --port, --host or --data", file=sys.stderr)
        return 2
    return 0


def _user_add(args: argparse.Namespace) -> int:
    from .users import UserDB, UserError

    data = Path(args.data).resolve()
    try:
        token = UserDB(data).add_user(args.name, read_only=args.read_only, orgs=tuple(args.org or ()))
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    role = "read" if args.read_only else "write"
    orgs = f", member of {', '.join(args.org)}" if args.org else ""
    print(f"user {args.name} ({role} token{orgs}) in {data}")
    print(token)
    return 0


def _publish_standins(args: argparse.Namespace) -> int:
    import httpx
    from huggingface_hub.errors import HfHubHTTPError

    from ..standins.store import StandinCacheError, UnknownStandinError
    from .rehearsal import publish_metrics, publish_standins, publisher

    data = Path(args.data).resolve()
    try:
        httpx.get(f"{args.endpoint}/api/whoami-v2", timeout=5)  # any answer will do: something is listening
    except httpx.HTTPError:
        print(f"error: no sandbox answers at {args.endpoint}; start it first with "
              f"`hftour hub serve --data {args.data}` and pass its endpoint", file=sys.stderr)
        return 2
    try:
        api = publisher(data, args.endpoint)
        commits = publish_standins(api, ids=args.only)
        metrics = [] if args.only else publish_metrics(api)
    except (StandinCacheError, UnknownStandinError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except (HfHubHTTPError, OSError) as err:
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        print(f"error: the sandbox at {args.endpoint} refused the upload: {reason}", file=sys.stderr)
        return 2
    for repo_id, commit in commits.items():
        print(f"{repo_id}  {commit[:7]}")
    print(f"{len(commits)} stand-ins and {len(metrics)} evaluate metrics published under their real ids; clients "
          f"with HF_ENDPOINT={args.endpoint} download them as from the Hub")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    """Add the `hub` command group to the top-level `hftour` parser (called by hftour.cli.build_parser)."""
    hub = commands.add_parser("hub", help="a local Hub sandbox for practising push_to_hub offline")
    actions = hub.add_subparsers(dest="hub_action", required=True)

    serve = actions.add_parser("serve", help="run the sandbox in the foreground (Ctrl-C stops it)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    serve.add_argument("--port", default=str(DEFAULT_PORT), help=f"port, 1-65535 (default {DEFAULT_PORT})")
    serve.add_argument("--data", default=str(DEFAULT_DATA), help=f"store folder (default ./{DEFAULT_DATA})")
    serve.set_defaults(func=_serve)

    user = actions.add_parser("user", help="manage sandbox users").add_subparsers(dest="user_action", required=True)
    add = user.add_parser("add", help="create a user (or a new token for one); prints the token last")
    add.add_argument("name")
    add.add_argument("--data", default=str(DEFAULT_DATA), help=f"store folder (default ./{DEFAULT_DATA})")
    add.add_argument("--read-only", action="store_true", help="a read token instead of a write token")
    add.add_argument("--org", action="append", help="also make the user a member of this organisation (repeatable)")
    add.set_defaults(func=_user_add)

    publish = actions.add_parser("publish-standins",
                                 help="upload the built stand-ins (and evaluate metrics) to a running sandbox under their real ids")
    publish.add_argument("--endpoint", default=f"http://127.0.0.1:{DEFAULT_PORT}",
                         help=f"the running sandbox (default http://127.0.0.1:{DEFAULT_PORT})")
    publish.add_argument("--data", default=str(DEFAULT_DATA), help=f"its store folder (default ./{DEFAULT_DATA})")
    publish.add_argument("--only", action="append", metavar="REPO_ID", help="publish only this stand-in, no metrics (repeatable)")
    publish.set_defaults(func=_publish_standins)
