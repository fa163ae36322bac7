"""`kiosk ratings`: citizens' satisfaction ratings per day and service, for the centre's head."""

from __future__ import annotations

import argparse
import json

from kiosk.commands import UsageError, config_from
from kiosk.i18n import translate
from kiosk.ratings import RatingService, format_summary_table, summary_json
from kiosk.store import open_database, sqlite_url
from kiosk.store.ratings import RatingStore


def cmd_ratings(args: argparse.Namespace) -> int:
    cfg = config_from(args)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    service = RatingService(RatingStore(open_database(sqlite_url(cfg.database_path))),
                            cfg.timezone)
    day_to = args.day_to or service.today()
    day_from = args.day_from or day_to
    if day_from > day_to:
        raise UsageError(f"--from {day_from} is after --to {day_to}")
    rows = service.summary(day_from, day_to)
    if args.json:
        print(json.dumps(summary_json(rows, day_from, day_to), ensure_ascii=False, indent=2))
    else:
        print(format_summary_table(rows, lambda m: translate("vi", m)).rstrip("\n"))
    return 0
