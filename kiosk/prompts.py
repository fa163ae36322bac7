"""Voice prompts: one recorded sentence per screen, for citizens who cannot read.

A recording is looked for in the current language only (<audio folder>/<lang>/<id>.ogg or
.wav; a content update's folder before assets/audio, see kiosk/content.py): a K'Ho speaker
must not hear a machine voice, nor Vietnamese presented as K'Ho. No synthetic voice stands
in for a minority language. `kiosk i18n prompts --lang L` lists the
sentences to record in a recording session.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from kiosk.i18n import N_, translate
from kiosk.paths import ASSETS
from kiosk.session import Screen, Session

AUDIO_DIR = ASSETS / "audio"
AUDIO_SUFFIXES = (".ogg", ".wav")

# Screen → the sentence its recording says (an msgid, so the text to record is the
# language's own translation, or Vietnamese where there is none yet); every Screen has
# one (tests/test_prompts.py), and two moments have their own.
_SENTENCES: dict[str, str] = {
    Screen.ATTRACT: N_("Touch the screen to start"),
    Screen.LANGUAGE: N_("Choose your language"),
    Screen.IDENTIFY: N_("Hold the QR code on the front of your ID card under the scanner. "
                        "Your details are used only for this visit and are not kept."),
    Screen.HOME: N_("What would you like to do?"),
    Screen.SERVICES: N_("Choose a service"),
    Screen.TICKET: N_("Please take your ticket below."),
    "ticket_not_printed": N_("Please note your number. The printer is not working; staff "
                             "have been told."),
    Screen.TICKET_STATUS: N_("Your ticket"),
    Screen.RATING: N_("How satisfied are you with our service?"),
    Screen.RATING_REASONS: N_("What went wrong? Touch any that apply."),
    Screen.UNAVAILABLE: N_("This is not available at this kiosk yet. Please ask at the "
                           "reception desk, or take a number."),
    "idle": N_("Are you still there?"),
    Screen.CATEGORIES: N_("Choose the kind of procedure you need, or search for it."),
    Screen.PROCEDURES: N_("Choose your procedure."),
    Screen.PROCEDURE: N_("Here is who it is for, the papers to bring, the fee and the "
                         "steps. Touch the button below to take a number for it."),
    Screen.SEARCH: N_("Type a few letters of the procedure. Marks are not needed."),
    Screen.DOSSIER_CODE: N_("Type the code on your receipt, or hold the receipt's QR code "
                            "under the scanner."),
    Screen.DOSSIER_STATUS: N_("Here is where your dossier stands."),
}
PROMPTS = {str(prompt_id): message for prompt_id, message in _SENTENCES.items()}


AudioDirs = Path | Sequence[Path]  # one folder, or several searched in order


def prompt_for(session: Session) -> str:
    """The prompt of the screen shown; a ticket that did not print has its own."""
    ticket = session.data.ticket
    if session.screen is Screen.TICKET and ticket and not (ticket.printed or ticket.pending):
        return "ticket_not_printed"
    return session.screen.value


def find_recording(lang: str, prompt_id: str, audio_dir: AudioDirs = AUDIO_DIR) -> Path | None:
    folders = [audio_dir] if isinstance(audio_dir, Path) else audio_dir
    for folder in folders:
        for suffix in AUDIO_SUFFIXES:
            path = folder / lang / f"{prompt_id}{suffix}"
            # os.path.isfile, not Path.is_file: an unreadable folder (an update copied in
            # as root) is "no recording", never an error on a screen change.
            if os.path.isfile(path):
                return path
    return None


def recording_script(lang: str, audio_dir: AudioDirs = AUDIO_DIR) -> list[dict[str, str]]:
    """What to record for `lang`: file name, the sentence, and whether it is done."""
    rows = []
    for prompt_id, message in PROMPTS.items():
        rows.append({
            "file": f"{lang}/{prompt_id}.ogg",
            "text": translate(lang, message),
            "recorded": "yes" if find_recording(lang, prompt_id, audio_dir) else "no",
        })
    return rows
