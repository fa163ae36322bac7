"""The Updates and Languages tabs of staff mode: signed bundles (kiosk/bundles) from a USB
stick or the update server, installed with a progress bar, rolled back; and, per
language, what the kiosk still lacks (kiosk/i18n_tools.py report).

Listing, fetching, installing and the report run on worker threads (a stick is slow, a
download slower); the bar follows through staff_work.Progress on the Kivy clock. A refused
bundle says why in the staff's language, with the installer's own English sentence after
it for whoever is called in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kivy.factory import Factory
from kivy.properties import BooleanProperty, NumericProperty, StringProperty

from kiosk import i18n
from kiosk.bundles import BundleRefused, Installer, Manifest
from kiosk.bundles.fetch import FetchError
from kiosk.bundles.usb import find_bundles, peek_bundle, usb_mounts
from kiosk.bundles.watcher import (
    Available,
    FetchSettings,
    fetch_available,
    newer_than_installed,
    offers_on_server,
)
from kiosk.content import language_report
from kiosk.i18n import N_, language_name
from kiosk.i18n_tools import LanguageReport
from kiosk.ui.live_settings import rebuild_language_screens
from kiosk.ui.staff_screens import ConfirmDialog, StaffTabBase
from kiosk.ui.staff_work import Progress, in_background, make

if TYPE_CHECKING:
    from kiosk.config import Config
    from kiosk.ui.app import KioskApp
    from kiosk.ui.staff_control import StaffControl

KINDS = {"app": N_("Program"), "content": N_("Content")}
# Each refusal (kiosk.bundles REASONS) in words for staff.
REFUSALS = {
    "not-a-bundle": N_("This file is not an update bundle."),
    "bad-signature": N_("The signature does not match: the bundle was changed or damaged."),
    "unknown-key": N_("The bundle is signed by a key this kiosk does not trust."),
    "altered-file": N_("A file in the bundle was changed after signing."),
    "missing-file": N_("A file listed in the bundle is missing."),
    "extra-file": N_("The bundle holds a file that was not signed."),
    "unsafe-path": N_("The bundle holds a file outside its own folder."),
    "link": N_("The bundle holds a link, which is not allowed."),
    "device-file": N_("The bundle holds a device file, which is not allowed."),
    "too-large": N_("The bundle is larger than this kiosk allows."),
    "truncated": N_("The bundle is cut short: copy it again."),
    "wrong-kind": N_("This bundle is not of the kind expected here."),
    "expired": N_("The bundle has expired: ask for a new one."),
    "older-version": N_("This version is older than the one installed."),
    "min-version": N_("The version installed is too old for this bundle: install the one "
                      "before it first."),
    "bad-content": N_("The bundle's content cannot be used."),
    "busy": N_("Another install is under way."),
    "no-previous": N_("There is no previous version to go back to."),
}
REFUSED = N_("Refused: {reason}")
INSTALLED = N_("{kind} {version} installed.")
APP_NEXT_START = N_("{kind} {version} installed: it starts at the next restart.")
ROLLED_BACK = N_("{kind} is back at version {version}.")
ROLLED_BACK_SHIPPED = N_("{kind} is back as shipped.")
ROLLBACK_SURE = N_("Go back to the previous {kind} version?")
NOT_DONE = N_("Not done: {reason}")
NOTHING_FOUND = N_("No update found on a USB stick or the server.")
NO_SERVER = N_("The update server cannot be reached: {reason}")
SHIPPED = N_("As shipped")
# The installer's and fetcher's progress steps, in words.
STEPS = {"copy": N_("Copying"), "download": N_("Downloading"), "verify": N_("Checking"),
         "unpack": N_("Unpacking"), "compile": N_("Preparing the translations"),
         "install": N_("Installing"), "switch": N_("Switching")}
PACK = N_("Language pack for {languages}")


@dataclass(frozen=True)
class Offer:
    """A bundle found, checked as far as can be without installing it."""

    available: Available
    manifest: Manifest | None  # verified (USB); None when refused or not yet fetched
    refused: BundleRefused | None

    @property
    def pack_languages(self) -> tuple[str, ...]:
        """The languages of a language pack: a content bundle with only translations and
        recordings (locales/<lang>/…, audio/<lang>/…); () for anything else."""
        if self.manifest is None or self.manifest.kind != "content":
            return ()
        langs: list[str] = []
        for entry in self.manifest.files:
            top, _, rest = entry.path.partition("/")
            lang = rest.partition("/")[0]
            if top not in ("locales", "audio") or not lang:
                return ()
            if lang not in langs:
                langs.append(lang)
        return tuple(langs)


def refusal_text(control: StaffControl, exc: Exception) -> str:
    """Why, in the staff's language, then the installer's own sentence."""
    if isinstance(exc, BundleRefused):
        why = control.tr(REFUSALS.get(exc.reason, REFUSED)).format(reason=exc.reason)
        return f"{why}\n{exc}"
    return control.tr(NOT_DONE).format(reason=exc)


def find_offers(cfg: Config, installer: Installer,
                allow_downgrade: bool) -> tuple[list[Offer], str]:
    """Every bundle file on a stick, checked (refused ones say why: one that cannot even be
    read as a bundle too), and what the server offers newer than installed; and why the
    server could not be asked ("" when it could)."""
    offers: list[Offer] = []
    for path in find_bundles(usb_mounts(cfg.updates.usb_dirs)):
        try:
            kind, version = peek_bundle(path)
        except FetchError:
            kind, version = "", ""  # verify says why below
        item = Available(kind, version, "usb", str(path))
        try:
            manifest = installer.verify(path, allow_downgrade=allow_downgrade)
            offers.append(Offer(item, manifest, None))
        except BundleRefused as exc:
            offers.append(Offer(item, None, exc))
    problem = ""
    if cfg.updates.url:
        try:
            served = offers_on_server(cfg.updates.url)
        except Exception as exc:  # noqa: BLE001  (any failure: said on screen)
            problem = str(exc)
        else:
            offers += [Offer(item, None, None)
                       for item in newer_than_installed(served, installer.installed_version)]
    return offers, problem


def install(cfg: Config, installer: Installer, offer: Offer, allow_downgrade: bool,
            progress: Progress) -> Manifest:
    """Copies or downloads the bundle to the kiosk's disk (a stick may be pulled out), then
    applies it; on a worker thread."""
    local = fetch_available(offer.available, FetchSettings.from_config(cfg), progress)
    return installer.apply(local, kind=offer.available.kind, allow_downgrade=allow_downgrade,
                           progress=progress)


def reload_content(app: KioskApp) -> None:
    """A content version just switched: its catalogue, translations and recordings apply
    now (kiosk/ui/housekeeping.py), and the screens that put every language's words
    together when built are built again."""
    app.housekeeping.reload_content_if_changed()
    rebuild_language_screens(app)


class BundleTab(StaffTabBase):
    """What the Updates and Languages tabs share: the bundles found, an install with its
    progress bar."""

    working = BooleanProperty(False)
    progress = NumericProperty(0)
    progress_text = StringProperty("")
    allow_downgrade = BooleanProperty(False)

    def installer(self) -> Installer:
        return Installer.from_config(self.app.kiosk_config)

    def shown(self) -> None:
        self.look()

    def wanted(self, offer: Offer) -> bool:
        return True

    def look(self) -> None:
        """Lists the bundles again (a stick just plugged in)."""
        if self.working:
            return
        self.working = True
        cfg, allow = self.app.kiosk_config, self.allow_downgrade
        installer = self.installer()

        def look() -> tuple[list[Offer], str, dict]:
            return (*find_offers(cfg, installer, allow), installer.status())

        in_background("look for bundles", look, self._found, self._failed)

    def _found(self, found: tuple[list[Offer], str, dict]) -> None:
        self.working = False
        offers, problem, status = found
        offers = [offer for offer in offers if self.wanted(offer)]
        box = self.ids.offers
        box.clear_widgets()
        for offer in offers:
            row = make("OfferRow", text=self.describe(offer), offer=offer, tab=self,
                                   refused=offer.refused is not None)
            box.add_widget(row)
        self.ids.none_found.opacity = 0 if offers else 1
        if problem:
            self.tell(self.control.tr(NO_SERVER).format(reason=problem), ok=False)
        self.after_look(status)

    def after_look(self, status: dict) -> None:
        """`status`: the installer's (Installer.status()), read with the bundles."""

    def _failed(self, exc: Exception) -> None:
        self.working = False
        self.tell(refusal_text(self.control, exc), ok=False)

    def describe(self, offer: Offer) -> str:
        item, tr = offer.available, self.control.tr
        langs = offer.pack_languages
        what = (tr(PACK).format(languages=", ".join(language_name(lang) for lang in langs))
                if langs else tr(KINDS.get(item.kind, item.kind)))
        # A file that is no readable bundle has no kind or version to show.
        text = f"{what} {item.version} ({item.location})" if item.kind else item.location
        if offer.refused is not None:
            text += "\n" + refusal_text(self.control, offer.refused)
        return text

    def install(self, offer: Offer) -> None:
        if self.working:
            return
        self.working = True
        self.progress, self.progress_text = 0.0, self.control.tr(STEPS["copy"])
        self.control.act("install_start", f"{offer.available.kind} "
                                 f"{offer.available.version} from {offer.available.source}")
        cfg, allow = self.app.kiosk_config, self.allow_downgrade
        progress = Progress(self._progress)
        in_background("install", lambda: install(cfg, self.installer(), offer, allow, progress),
                      self._installed, self._not_installed, keep_open=True)

    def _progress(self, done: int, total: int, step: str) -> None:
        self.progress = done / total if total else 0.0
        word = self.control.tr(STEPS.get(step, step)) if step in STEPS else step
        self.progress_text = f"{word}: {self.progress:.0%}"

    def _installed(self, manifest: Manifest) -> None:
        self.working = False
        self.progress = 1.0
        kind = self.control.tr(KINDS.get(manifest.kind, manifest.kind))
        self.control.act("install", f"{manifest.kind} {manifest.version}")
        if manifest.kind == "content":
            reload_content(self.app)
            text = self.control.tr(INSTALLED).format(kind=kind, version=manifest.version)
        else:
            text = self.control.tr(APP_NEXT_START).format(kind=kind, version=manifest.version)
        self.progress_text = text
        self.tell(text)
        self.look()
        if manifest.kind == "app":
            self.offer_restart()  # the new version starts (on trial) with the restart

    def _not_installed(self, exc: Exception) -> None:
        self.working = False
        self.progress_text = ""
        reason = exc.reason if isinstance(exc, BundleRefused) else type(exc).__name__
        self.control.act("install_refused", reason)
        self.tell(refusal_text(self.control, exc), ok=False)
        self.look()


class UpdatesTab(BundleTab):
    installed_text = StringProperty("")

    def after_look(self, status: dict) -> None:
        self.show_installed(status)

    def show_installed(self, status: dict) -> None:
        """Each kind's version now, and the one a roll back would return to (the shipped
        one when the first bundle of that kind is in use)."""
        tr, lines = self.control.tr, []
        box = self.ids.rollbacks
        box.clear_widgets()
        for kind, word in KINDS.items():
            state = status.get(kind) or {}
            current = state.get("current") or tr(SHIPPED)
            lines.append(f"{tr(word)}: {current}")
            if state.get("previous"):
                text = tr("Roll back {kind} to {version}").format(kind=tr(word),
                                                                  version=state["previous"])
            elif state.get("current"):  # the first bundle of its kind: back to as shipped
                text = tr("Roll back {kind} to the shipped version").format(kind=tr(word))
            else:
                continue
            button = Factory.StaffButton(text=text, icon="back", kind="option")
            button.bind(on_release=lambda _b, k=kind: self.roll_back(k))
            box.add_widget(button)
        self.installed_text = "\n".join(lines)

    def toggle_downgrade(self) -> None:
        self.allow_downgrade = not self.allow_downgrade
        self.look()

    def roll_back(self, kind: str) -> None:
        word = self.control.tr(KINDS[kind])
        ConfirmDialog(self.control.tr(ROLLBACK_SURE).format(kind=word),
                      self.control.tr("Roll back"), lambda _pin: self._roll_back(kind)).show()

    def _roll_back(self, kind: str) -> None:
        self.working = True
        installer = self.installer()

        def done(version: str) -> None:
            self.working = False
            self.control.act("rollback", f"{kind} {version}")
            if kind == "content":
                reload_content(self.app)
            # Content with no version before the first bundle is back "shipped".
            said = ROLLED_BACK_SHIPPED if version == "shipped" else ROLLED_BACK
            self.say(said, kind=self.control.tr(KINDS[kind]), version=version)
            self.look()

        in_background("rollback", lambda: installer.rollback(kind), done,
                      self._not_installed, keep_open=True)


class LanguagesTab(BundleTab):
    """Language packs from a stick, and what each language still lacks."""

    def wanted(self, offer: Offer) -> bool:
        return bool(offer.pack_languages) or (offer.refused is not None
                                              and offer.available.kind in ("content", ""))

    def after_look(self, status: dict) -> None:
        app = self.app
        cfg, catalogue = app.kiosk_config, app.catalogue
        langs = list(dict.fromkeys([*cfg.known_languages, *i18n.LANGUAGE_NAMES]))
        in_background("language report",
                      lambda: language_report(cfg, langs, catalogue),
                      self._show_report, lambda exc: None)

    def _show_report(self, rows: list[LanguageReport]) -> None:
        box = self.ids.report
        box.clear_widgets()
        for row in rows:
            box.add_widget(make("LanguageReportRow",
                name=f"{language_name(row.lang)} ({row.lang})", strings=row.strings_translated,
                strings_total=row.strings_total, review=row.strings_review,
                prompts=row.prompts_recorded or 0,
                prompts_total=(row.prompts_recorded or 0) + (row.prompts_missing or 0),
                segments=row.segments_recorded or 0,
                segments_total=(row.segments_recorded or 0) + (row.segments_missing or 0),
                content=row.content_translated or 0,
                content_total=(row.content_translated or 0) + (row.content_missing or 0)))
