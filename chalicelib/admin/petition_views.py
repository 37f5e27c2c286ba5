"""The admin area's pages: the petitions, the form that creates and edits one, its page, the live preview,
the audit log."""
from __future__ import annotations

import logging

from chalice import Response
from email_validator import EmailNotValidError, validate_email

from chalicelib import i18n
from chalicelib.admin import guard, operations, source_figures
from chalicelib.audit import trail
from chalicelib.i18n import countries
from chalicelib.petition_pages import views as petition_views
from chalicelib.petitions import markdown, rules, store
from chalicelib.rights import erasure
from chalicelib.web import pages, responses

log = logging.getLogger(__name__)


def _petition_form_values(fields: dict) -> dict[str, str]:
    """Stored fields as the form's text boxes show them (a translation's as ``fr.title`` and so on)."""
    targets = fields.get("country_targets") or {}
    translated = {f"{language}.{name}": "\n".join(text) if name == "asks" else text
                  for language, words in (fields.get("translations") or {}).items() for name, text in words.items()}
    return {**{name: "" if fields.get(name) is None else str(fields[name]) for name in rules.NAMES},
            "petition_id": fields.get("petition_id") or "",
            "asks": "\n".join(fields.get("asks") or []),
            "embed_origins": "\n".join(fields.get("embed_origins") or []),
            "sources": "\n".join(fields.get("sources") or []),
            "country_targets": "\n".join(f"{code} {n}" for code, n in targets.items()),
            "language": fields.get("language") or i18n.DEFAULT, "translations": "", **translated}


def _form_fields(form: dict, names: tuple[str, ...]) -> dict:
    """The form's fields for ``rules.parse``: the language tabs' boxes gathered into ``translations``."""
    values = {name: form.get(name, "") for name in names}
    values["translations"] = {language: {name: form.get(f"{language}.{name}", "") for name in rules.TRANSLATED}
                              for language in i18n.LANGUAGES}
    return values


def _form_echo(form: dict, names: tuple[str, ...]) -> dict:
    """What was typed, to draw the form again with it."""
    return {**{name: form.get(name, "") for name in names},
            **{key: value for key, value in form.items() if key.partition(".")[0] in i18n.LANGUAGES}}


def _form_page(request, session, *, status: int, values: dict, errors: dict, creating: bool,
               petition_id: str | None = None) -> Response:
    return guard.page(status, "petition_form.html", request, session=session, values=values, errors=errors,
                      creating=creating, petition_id=petition_id, countries=countries.names(),
                      content_languages=[(code, i18n.NAMES[code]) for code in i18n.LANGUAGES],
                      translated_fields=rules.TRANSLATED,
                      preview=_preview_view(values), title_prefix="Error: " if errors else "")


@guard.guarded(api=False)
def home(request, session) -> Response:
    return guard.page(200, "home.html", request, session=session, rows=operations.overview())


@guard.guarded(api=False)
def new_form(request, session) -> Response:
    return _form_page(request, session, status=200, values=_petition_form_values({"goal": ""}), errors={},
                      creating=True)


@guard.guarded(api=False)
def create(request, session, form: dict) -> Response:
    names = ("petition_id", *rules.NAMES)
    values = _form_echo(form, names)
    try:
        after = operations.create(session.email, _form_fields(form, names))
    except operations.Problems as problems:
        return _form_page(request, session, status=422, values=values, errors=problems.errors, creating=True)
    except operations.Exists:
        return _form_page(request, session, status=409, values=values, creating=True,
                          errors={"petition_id": "A petition with this id exists already. Choose another."})
    return guard.see_other(request, f"/admin/petitions/{after['petition_id']}")


@guard.guarded(api=False)
def petition_page(request, session, petition_id: str) -> Response:
    try:
        fields, figures = operations.details(petition_id)
    except operations.NotFound:
        return guard.message_page(request, 404, "No such petition", "There is no petition with this id.")
    return guard.page(200, "petition.html", request, session=session, petition=fields, figures=figures,
                      names=countries.names(), targets_line=petition_views.targets_line(figures),
                      sources=source_figures.for_petition(petition_id, fields.get("sources")))


@guard.guarded(api=False)
def edit_form(request, session, petition_id: str) -> Response:
    try:
        fields, _ = operations.details(petition_id)
    except operations.NotFound:
        return guard.message_page(request, 404, "No such petition", "There is no petition with this id.")
    return _form_page(request, session, status=200, values=_petition_form_values(fields), errors={},
                      creating=False, petition_id=petition_id)


@guard.guarded(api=False)
def update(request, session, petition_id: str, form: dict) -> Response:
    values = _form_echo(form, rules.NAMES)
    try:
        operations.update(session.email, petition_id, _form_fields(form, rules.NAMES))
    except operations.NotFound:
        return guard.message_page(request, 404, "No such petition", "There is no petition with this id.")
    except operations.Problems as problems:
        return _form_page(request, session, status=422, values={**values, "petition_id": petition_id},
                          errors=problems.errors, creating=False, petition_id=petition_id)
    return guard.see_other(request, f"/admin/petitions/{petition_id}")


@guard.guarded(api=False)
def change_status(request, session, petition_id: str, form: dict) -> Response:
    try:
        operations.change_status(session.email, petition_id, form.get("change", ""))
    except operations.NotFound:
        return guard.message_page(request, 404, "No such petition", "There is no petition with this id.")
    except operations.WrongState as problem:
        return guard.message_page(request, 409, "That can't be done now", str(problem))
    return guard.see_other(request, f"/admin/petitions/{petition_id}")


@guard.guarded(api=False)
def erase_signer(request, session, petition_id: str, form: dict) -> Response:
    """Remove one signer from this petition by address (the keyed hash finds it; a record is kept)."""
    try:
        address = validate_email((form.get("email") or "").strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return guard.message_page(request, 422, "That is not an email address",
                                  "Enter the address the signer signed with.")
    if store.get(petition_id) is None:
        return guard.message_page(request, 404, "No such petition", "There is no petition with this id.")
    if erasure.erase(address, petition_id, session.email):
        return guard.message_page(request, 200, "Signature removed",
                                  "The signature is deleted and recorded in the audit log (petition, time, channel; "
                                  "no personal data). The count drops within seconds.")
    return guard.message_page(request, 404, "No signature for that address",
                              "Nobody signed this petition with that address (or it was removed or anonymised before).")


@guard.guarded(api=False)
def preview(request, session, form: dict) -> Response:
    """The sign page's campaign part for the fields as typed (the edit page's live preview)."""
    body = pages.render("admin/_preview.html", prefix=responses.stage_prefix(request), preview=_preview_view(form))
    return responses.html(200, body, cache=guard.NO_STORE)


def _preview_view(raw: dict) -> dict:
    """What the sign page would show for these fields: the good ones as stored, the rest left out."""
    values, _ = rules.parse({name: raw.get(name, "") for name in rules.NAMES if name != "translations"},
                            creating=False)
    image = None
    if values.get("image_url"):
        image = {"url": values["image_url"], "alt": values.get("image_alt") or "", "credit": values.get("image_credit")}
    organiser = {"name": values["organiser_name"], "url": values.get("organiser_url")} \
        if values.get("organiser_name") else None
    return {"title": values.get("title") or "(no title yet)", "summary": values.get("summary") or "",
            "asks": values.get("asks") or [], "body_html": markdown.to_html(values.get("body")), "image": image,
            "organiser": organiser, "featured_country": values.get("featured_country"),
            "goal": values.get("goal") or 0}


@guard.guarded(api=False)
def audit_page(request, session) -> Response:
    return guard.page(200, "audit.html", request, session=session, entries=trail.latest(200))
