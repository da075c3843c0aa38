"""The local stack's command line: `python -m local up|down|serve|logs|invoke|outputs`.

- `up`: start the emulator, apply examples/local (or `--root DIR`) to it, serve it (local.stack);
- `down`: stop everything `up` started and remove its state (local.stack);
- `serve`: run the Lambda runner, the API fronts and the stream poller (local.services);
- `logs`: print a log group of the running stack (local.logs);
- `invoke`: invoke a function of the running stack and print its response (local.invoke);
- `outputs`: print the root's Terraform outputs with the local API URLs (local.outputs).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from local.invoke import invoke, running_endpoint
from local.lambda_runtime.interpreters import UnsupportedRuntimeError
from local.logs import logs
from local.outputs import outputs
from local.processes import StackError
from local.services import serve
from local.stack import down, state_dir_for, up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description="The local stack (see `make up`).")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser(
        "up", help="start the emulator, apply examples/local (or --root), serve it"
    )
    up_parser.add_argument("--name", default="cdc-local", help="name prefix of examples/local's resources")
    _root_arguments(
        up_parser, commands.add_parser("down", help="stop everything `up` started, remove its state")
    )
    serve_parser = commands.add_parser("serve", help="run the Lambda runner, API front and poller")
    serve_parser.add_argument("--endpoint", required=True, help="the emulator's URL")
    serve_parser.add_argument("--api-id", action="append", help="HTTP API to serve (default: every one)")
    serve_parser.add_argument("--port", type=int, default=0, help="port of the (first) API front; 0: any")
    serve_parser.add_argument(
        "--state-dir", type=Path, help="directory for serve.json and the poller's state"
    )
    logs_parser = commands.add_parser("logs", help="print a log group of the running stack")
    logs_parser.add_argument(
        "group", nargs="?", default="consumer", help="consumer, writer, api or a group name"
    )
    logs_parser.add_argument("--follow", "-f", action="store_true", help="keep printing new events")
    invoke_parser = commands.add_parser("invoke", help="invoke a function and print its response")
    invoke_parser.add_argument("function", help="function name or ARN (qualified with a version or alias)")
    invoke_parser.add_argument("--payload", help="the event, as JSON (default: {})")
    invoke_parser.add_argument("--endpoint", help="the emulator's URL (default: the stack `up` started)")
    _root_arguments(logs_parser, invoke_parser, _outputs_parser(commands))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)

    try:
        if args.command == "up":
            return up(name=args.name, root=args.root, port=args.port)
        if args.command == "down":
            return down(root=args.root)
        if args.command == "outputs":
            return outputs(args.root, args.json)
        if args.command == "serve":
            return serve(args.endpoint, args.api_id, args.port, args.state_dir)
        if args.command == "invoke":
            return invoke(args.function, args.payload, args.endpoint or _root_endpoint(args.root))
        return logs(args.group, args.follow, root=args.root)
    except (StackError, UnsupportedRuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


def _root_arguments(up_parser: argparse.ArgumentParser, *parsers: argparse.ArgumentParser) -> None:
    """`--root` for every command about one stack, and `--port` for `up`."""
    for parser in (up_parser, *parsers):
        parser.add_argument(
            "--root",
            type=Path,
            help="a Terraform root that uses the module (default: examples/local); state in .local/roots/",
        )
    up_parser.add_argument(
        "--port",
        type=int,
        help="fixed ports: the API front on PORT, the emulator on PORT+1, further API fronts on PORT+2, ... "
        "(default: free ports)",
    )


def _root_endpoint(root: Path | None) -> str | None:
    """The emulator of the stack of `root`; None for examples/local's, which `invoke` finds itself."""
    return None if root is None else running_endpoint(state_dir_for(root))


def _outputs_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "outputs", help="print the root's Terraform outputs, with the local API URLs for execute-api ones"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object instead of name = value lines")
    return parser
