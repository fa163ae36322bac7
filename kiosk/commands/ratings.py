"""`kiosk ratings`: citizens' satisfaction ratings per day and service, for the centre's head."""

from __future__ import annotations

import argparse
import json

from kiosk.commands import UsageError, config_from, database_errors
from kiosk.i18n import translate
from kiosk.ratings import RatingService, format_summary_table, summary_json
from kiosk.store import open_database_file
from kiosk.store.ratings import RatingStore


def cmd_ratings(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    day_to = args.day_to or cfg.now().date()
    day_from = args.day_from or day_to
    if day_from > day_to:  # before the database is opened: a typo costs nothing
        raise UsageError(f"--from {day_from} is after --to {day_to}")
    with database_errors(cfg.database_path):
        service = RatingService(RatingStore(open_database_file(cfg.database_path)),
                                cfg.timezone)
        rows = service.summary(day_from, day_to)
    if args.json:
        print(json.dumps(summary_json(rows, day_from, day_to), ensure_ascii=False, indent=2))
    else:
        print(format_summary_table(rows, lambda m: translate("vi", m)).rstrip("\n"))
    return 0
