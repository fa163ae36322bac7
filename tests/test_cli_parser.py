"""`kiosk` builds only the parser of the command being run (kiosk/cli.py, PARSERS): whatever
the command line, it must answer exactly as the parser of every command does."""

from __future__ import annotations

import argparse
import contextlib
import io
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk import cli
from kiosk.commands import UsageError

ROOT = Path(__file__).resolve().parents[1]

# One valid command line per top-level command, with options where it has some.
VALID = {
    "simulate": ["simulate", "--fullscreen"],
    "run": ["--config", "kiosk.toml", "run", "--windowed", "--data-dir", "d"],
    "ticket": ["ticket", "--service", "A", "--lang", "kpm", "--json"],
    "tickets": ["tickets", "--day", "2026-01-02"],
    "sim": ["sim", "printer", "--fault", "slow", "--listen", "127.0.0.1:9101"],
    "doctor": ["doctor", "--printer", "tcp://127.0.0.1:9100", "--json"],
    "test-print": ["--data-dir=d", "test-print"],
    "print-preview": ["print-preview", "job.bin", "--png", "job.png", "--width", "384"],
    "dossier-provider": ["dossier-provider", "--fault", "500", "--slow-seconds", "2"],
    "decode": ["decode", "--json", "--reveal"],
    "scan": ["scan", "--port", "loop://", "--count", "3"],
    "screenshots": ["screenshots", "--out", "o", "--size", "1920x1080", "--lang", "vi"],
    "i18n": ["i18n", "import", "f.po", "--lang", "kpm", "--legacy"],
    "voice": ["voice", "record", "--lang", "kpm", "--only", "attract"],
    "ratings": ["ratings", "--from", "2026-01-01", "--to", "2026-01-03"],
    "db": ["db", "upgrade", "--url", "sqlite:///x.sqlite3"],
    "enrol": ["enrol", "--centre", "https://h:1", "--fingerprint", "f", "--code", "c"],
    "centre": ["centre", "staff", "add", "Lan", "--counters", "1,2", "--url", "sqlite:///c"],
    "counter": ["counter", "transfer", "--counter", "3", "--to", "B"],
    "stats": ["stats", "--day", "2026-01-01", "--centre", "--csv", "o.csv"],
    "install-service": ["install-service", "--session", "x11", "--dry-run"],
    "staff": ["staff", "audit", "--limit", "5"],
    "bundle": ["bundle", "build", "--kind", "content", "--version", "1.0.0", "--min-version",
               "1.0.0", "--expires", "30", "--from", "d", "--out", "o.kbundle"],
    "launch": ["--config", "c", "launch", "--", "--windowed"],
}

# Command lines that fail within a known command: each error must read the same.
INVALID = [
    ["run", "--fullscreen", "--windowed"], ["run", "extra"], ["run", "--bogus"],
    ["ticket"], ["tickets", "--day", "tomorrow"], ["sim"], ["sim", "printer", "--fault", "melt"],
    ["print-preview", "j.bin", "--png", "o.png", "--width", "5"], ["i18n", "bogus"],
    ["screenshots", "--out", "o", "--size", "big"], ["centre", "serve", "--listen", "nowhere"],
    ["counter", "fly", "--counter", "3"], ["counter", "call", "--counter", "0"],
    ["stats", "--day", "2026-13-01"], ["staff", "audit", "--limit", "0"],
    ["bundle", "verify"], ["--config", "c", "run", "--config"],
]

UNKNOWN_COMMAND = ("argument command: invalid choice: 'rn' (choose from 'simulate', 'run', "
                   "'ticket', 'tickets', 'sim', 'doctor', 'test-print', 'print-preview', "
                   "'dossier-provider', 'decode', 'scan', 'screenshots', 'i18n', 'voice', "
                   "'ratings', 'db', 'enrol', 'centre', 'counter', 'stats', 'install-service', "
                   "'staff', 'bundle', 'launch')")


def outcome(parser: argparse.ArgumentParser, argv: list[str]) -> tuple[str, object, str]:
    """What parsing `argv` gives: the Namespace, the usage error or the exit, and stdout."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            result: tuple[str, object] = ("namespace", parser.parse_args(argv))
        except UsageError as exc:
            result = ("error", str(exc))
        except SystemExit as exc:
            result = ("exit", exc.code)
    return (*result, out.getvalue())


def commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next(a for a in parser._actions if a.dest == "command").choices


def subcommand_paths(parser: argparse.ArgumentParser,
                     path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield (*path, name)
                yield from subcommand_paths(child, (*path, name))


def test_every_command_has_its_parser_and_a_valid_line_here() -> None:
    assert set(cli.PARSERS) == set(cli.COMMANDS) == set(VALID)
    assert list(commands(cli.build_parser())) == list(cli.PARSERS)  # --help's order


@pytest.mark.parametrize("command", list(cli.PARSERS))
def test_the_one_command_parser_builds_that_command_only(command: str) -> None:
    assert list(commands(cli.build_parser(command))) == [command]


@pytest.mark.parametrize("command", list(cli.PARSERS))
def test_one_command_parser_parses_and_helps_as_the_full_one(command: str) -> None:
    full, one = cli.build_parser(), cli.build_parser(command)
    argv = VALID[command]
    assert cli.command_word(argv) == command
    parsed = outcome(one, argv)
    assert parsed[0] == "namespace"
    assert parsed == outcome(full, argv)
    # Its --help, and that of every subcommand beneath it (`kiosk centre staff add --help`).
    paths = [p for p in subcommand_paths(full) if p[0] == command]
    assert paths[0] == (command,)
    for path in paths:
        helped = outcome(one, [*path, "--help"])
        assert helped[:2] == ("exit", 0) and helped[2].startswith(f"usage: kiosk {path[0]}")
        assert helped == outcome(full, [*path, "--help"]), path


@pytest.mark.parametrize("argv", INVALID, ids=" ".join)
def test_one_command_parser_fails_as_the_full_one(argv: list[str]) -> None:
    command = cli.command_word(argv)
    assert command is not None
    failed = outcome(cli.build_parser(command), argv)
    assert failed[0] == "error"
    assert failed == outcome(cli.build_parser(), argv)


@pytest.mark.parametrize(("argv", "word"), [
    (["run"], "run"),
    (["--config", "k.toml", "--data-dir", "d", "run", "--windowed"], "run"),
    (["--config=k.toml", "--data-dir=d", "centre", "serve"], "centre"),
    (["--config", "run", "ticket"], "ticket"),  # `run` is the config file's name here
    ([], None), (["--help"], None), (["-h"], None), (["--version"], None), (["rn"], None),
    (["Run"], None), (["--config", "k.toml"], None), (["--config"], None),
    (["--conf", "k.toml", "run"], None),  # argparse's abbreviation: left to the full parser
    (["--config", "--data-dir", "run"], None), (["--", "run"], None), (["-1", "run"], None),
])
def test_the_command_word(argv: list[str], word: str | None) -> None:
    assert cli.command_word(argv) == word


def test_an_unknown_command_gets_the_usage_error_as_before(
        capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["rn"], ["--config", "k.toml", "rn", "--windowed"]):
        assert cli.main(argv) == 2
        assert capsys.readouterr().err == f"kiosk: error: {UNKNOWN_COMMAND}\n"
    assert cli.main([]) == 2
    assert capsys.readouterr().err == ("kiosk: error: the following arguments are required: "
                                       "command\n")


def test_usage_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--help"])
    assert exit_.value.code == 0
    usage = capsys.readouterr().out
    assert usage.startswith("usage: kiosk [-h] [--version] [--config CONFIG]")
    listed = [line.split()[0] for line in usage.splitlines() if line.startswith("    ")]
    assert set(cli.PARSERS) <= set(listed)


def test_run_does_not_load_the_bundle_commands() -> None:
    probe = ("import sys; from kiosk.cli import build_parser, command_word; "
             "build_parser(command_word(['run'])); "
             "print('kiosk.commands.bundle' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
