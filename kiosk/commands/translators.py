"""`kiosk i18n ...`: translation catalogues and recorded prompts, for translators."""

from __future__ import annotations

import argparse
import json
import re
import sys

from kiosk import i18n_tools
from kiosk.commands import EXIT_FAILED, UsageError, config_from
from kiosk.config import Config
from kiosk.content import audio_dirs, language_report, load_content_catalogue
from kiosk.i18n import LANG_TAG_PATTERN, compile_all, translate
from kiosk.paths import LOCALES
from kiosk.prompts import recording_script
from kiosk.typed_translations import typed_locales
from kiosk.voice import find_item, hint_text, voice_items


def cmd_i18n(args: argparse.Namespace) -> int:
    if args.action == "compile":  # needs no settings: it runs while building the kiosk
        for mo in compile_all():
            print(mo)
        return 0
    cfg = config_from(args)
    if args.action == "report":
        return _report(cfg, args.json)
    if not re.fullmatch(LANG_TAG_PATTERN, args.lang):
        raise UsageError(f"--lang {args.lang!r}: expected a language tag like kpm or rad")
    if args.action == "prompts":
        return _prompts(cfg, args.lang, args.json)
    if args.action == "export":
        count = i18n_tools.export_po(args.lang, LOCALES, args.out, typed_locales(cfg))
        print(f"wrote {count} entries to {args.out}")
        return 0
    return _import(args)


def _report(cfg: Config, as_json: bool) -> int:
    catalogue, source, problems = load_content_catalogue(cfg)
    for problem in problems:
        print(f"kiosk: catalogue refused: {problem}", file=sys.stderr)
    if catalogue is None:
        print("kiosk: no catalogue counted", file=sys.stderr)
    else:
        print(f"catalogue: {source}", file=sys.stderr)
    rows = language_report(cfg, list(cfg.languages), catalogue)
    if as_json:
        print(json.dumps(i18n_tools.report_json(rows), ensure_ascii=False, indent=2))
    else:
        print(i18n_tools.format_report(rows).rstrip("\n"))
    return 0


def _prompts(cfg: Config, lang: str, as_json: bool) -> int:
    """The prompts, then the number-call segments (kiosk/voice.py), each with its file."""
    dirs = audio_dirs(cfg)
    script: list[dict[str, str]] = [{**row, "kind": "prompt"}
                                    for row in recording_script(lang, dirs)]
    hints: list[str] = [""] * len(script)
    for item in voice_items(cfg, lang):
        if item.kind != "segment":
            continue
        script.append({"file": f"{lang}/{item.file}", "text": translate(lang, item.msgid),
                       "recorded": "yes" if find_item(lang, item, dirs) else "no",
                       "kind": "segment", "where": translate("en", item.where)})
        hints.append(hint_text(item.hint, "en") if item.hint else "")
    if as_json:
        print(json.dumps(script, ensure_ascii=False, indent=2))
    else:
        for row, hint in zip(script, hints, strict=True):
            print(f"[{'x' if row['recorded'] == 'yes' else ' '}] {row['file']}: {row['text']}")
            if hint:  # for the speaker: what sources write, never text for citizens
                print(f"      {hint}")
    return 0


def _import(args: argparse.Namespace) -> int:
    try:
        result = i18n_tools.import_po(args.pofile, args.lang, LOCALES, legacy=args.legacy,
                                      reviewed=args.reviewed)
    except i18n_tools.ImportRejected as exc:
        print(f"kiosk: {args.pofile} rejected, nothing changed:", file=sys.stderr)
        for line in exc.lines:
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    compile_all()
    print(f"{result.path}: {result.added} added, {result.changed} changed, "
          f"{result.unchanged} unchanged" + ("" if args.reviewed else ", marked for review"))
    return 0
