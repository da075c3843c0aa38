"""The local stack's command line: `python -m local up|down|serve|logs|invoke`.

- `up`: start the emulator, apply examples/local to it, serve it (local.stack);
- `down`: stop everything `up` started and remove .local/ (local.stack);
- `serve`: run the Lambda runner, the API fronts and the stream poller (local.services);
- `logs`: print a log group of the running stack (local.logs);
- `invoke`: invoke a function of the running stack and print its response (local.invoke).
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from local.invoke import invoke
from local.lambda_runtime.interpreters import UnsupportedRuntimeError
from local.logs import logs
from local.processes import StackError
from local.services import serve
from local.stack import down, up


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local", description="The local stack (see `make up`).")
    commands = parser.add_subparsers(dest="command", required=True)
    up_parser = commands.add_parser("up", help="start the emulator, apply examples/local, serve it")
    up_parser.add_argument("--name", default="cdc-local", help="name prefix of the stack's resources")
    commands.add_parser("down", help="stop everything `up` started and remove .local/")
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
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)

    try:
        if args.command == "up":
            return up(name=args.name)
        if args.command == "down":
            return down()
        if args.command == "serve":
            return serve(args.endpoint, args.api_id, args.port, args.state_dir)
        if args.command == "invoke":
            return invoke(args.function, args.payload, args.endpoint)
        return logs(args.group, args.follow)
    except (StackError, UnsupportedRuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
