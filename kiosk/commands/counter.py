"""`kiosk counter ACTION --counter N`: what a counter's page does, from a terminal on the
centre's PC (for scripts and tests). It works on the centre's database directly, with the
centre's config (docs/architecture.md, Centre)."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.commands import EXIT_FAILED, UsageError, config_from
from kiosk.commands.centre import centre_database


def cmd_counter(args: argparse.Namespace) -> int:
    from kiosk.centre.api import counter_action
    from kiosk.centre.client import new_request_id
    from kiosk.centre.requests import ApiError
    from kiosk.centre.serve import open_centre

    cfg = config_from(args)
    if args.action == "transfer" and not args.to:
        raise UsageError("transfer needs --to SERVICE, the service whose queue takes it")
    if args.to and args.action != "transfer":
        raise UsageError(f"--to is for transfer, not {args.action}")
    letters = [s.letter for s in cfg.services]
    if args.to and args.to not in letters:
        raise UsageError(f"--to {args.to!r}: not a configured service; expected one of "
                         f"{', '.join(letters)}")
    body = {"request_id": new_request_id(), "to_service": args.to}
    with centre_database(cfg):
        ctx = open_centre(cfg)
        try:
            done = counter_action(ctx, args.counter, args.action, body)
        except ApiError as exc:
            if exc.status != 409:  # a counter this centre does not have
                raise UsageError(f"--counter {args.counter}: {exc}") from None
            # Refused by the queue's state (no one waiting, still serving someone …).
            if args.json:
                print(json.dumps({"error": str(exc), "counter": args.counter},
                                 ensure_ascii=False))
            else:
                print(f"kiosk: counter {args.counter}: {exc}", file=sys.stderr)
            return EXIT_FAILED
    if args.json:
        print(json.dumps(done, ensure_ascii=False))
    elif done["number"]:
        print(f"Counter {done['counter']}: {done['action']} {done['number']} "
              f"({done['queue_state']})")
    else:
        print(f"Counter {done['counter']}: {done['action']}")
    return 0
