"""What staff see of a scan (`kiosk decode`, `kiosk scan`): its kind and what it holds,
personal data masked unless asked for."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass

from kiosk.scans import classify


def describe_scan(payload: bytes, symbology: str | None, reveal: bool) -> dict:
    """The scan's kind and contents as a JSON-ready dict; `reveal` shows personal data."""
    found = classify(payload)
    report: dict = {"kind": found.kind.value, "symbology": symbology, "bytes": len(payload)}
    if found.identity is not None:
        if reveal:
            raw = asdict(found.identity) if is_dataclass(found.identity) else {}
            report["holds"] = {k: str(v) for k, v in raw.items()
                               if v not in ("", None) and k != "wiped"}
        else:
            report["holds"] = {k: v for k, v in found.identity.masked().items()
                               if v and k != "wiped"}
    if found.ticket_id:
        report["ticket_id"] = found.ticket_id
    if found.dossier_code:
        report["dossier_code"] = found.dossier_code
    if found.problem:
        report["problem"] = found.problem
    if found.kind.value == "unknown" and reveal:
        report["text"] = payload.decode("utf-8", errors="replace")[:200]
    return report


def print_scan(report: dict, as_json: bool) -> None:
    """One line per scan (JSON, or columns with what it holds indented below)."""
    if as_json:
        print(json.dumps(report, ensure_ascii=False), flush=True)
        return
    extra = report.get("ticket_id") or report.get("dossier_code") or report.get("problem") or ""
    print(f"{report['kind']:8} {report['bytes']:5d} bytes {report['symbology'] or '':8} {extra}",
          flush=True)
    for key, value in report.get("holds", {}).items():
        print(f"    {key}: {value}")
