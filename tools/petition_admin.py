"""Create, change, open, close and list petitions from a terminal (the admin area does the same in a browser).

    python -m tools.petition_admin create demo --title "..." --summary "..." --goal 1500000 \\
        --ask "Keep routes to safety open" --ask "..." --body-file why.md \\
        --image-url https://example.org/photo.jpg --image-alt "..." --image-credit "Photo: ..." \\
        --organiser-name "..." --organiser-url https://example.org --featured-country GB --target GB=8500 [--draft]
    python -m tools.petition_admin update demo --goal 2000000 --closes-at 2026-12-31T23:59:59Z
    python -m tools.petition_admin update demo --require-verification   # signers confirm by email
    python -m tools.petition_admin open|close|reopen|show demo
    python -m tools.petition_admin list

Every change goes through the same functions as the admin area (the field
rules, the lifecycle and the audit log, where the actor is "make petition"
and the local user name). Table names and the endpoint come
from the same environment variables as the app.
"""
from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from chalicelib.admin import operations
from chalicelib.aws.models import PetitionStatus
from chalicelib.petitions import catalog, store

DEMO: dict[str, Any] = {
    "petition_id": "demo",
    "title": "Protect people seeking asylum",
    "summary": (
        "World leaders meet at the Global Refugee Forum in Geneva. Ask them to protect people who "
        "flee war and persecution, and the rights they hold wherever they seek safety."
    ),
    "goal": 1_500_000,
    "body": (
        "People forced from their homes need a safe way to reach protection and a fair hearing when "
        "they arrive. Too many are turned back at borders, held in harsh conditions, or left waiting "
        "years for an answer.\n\n"
        "## What is the Global Refugee Forum?\n\n"
        "It is the only global meeting where world leaders come together to agree solutions for "
        "refugees, alongside refugees themselves, cities, businesses and aid groups. The last one met "
        "in Geneva from 13 to 15 December 2023.\n\n"
        "## Why your name counts\n\n"
        "This call reached the Forum with more than 1.1 million names from around the world, over "
        "8,500 of them from the United Kingdom. Each one tells leaders that people everywhere expect "
        "them to act."
    ),
    "asks": [
        "Keep routes to safety open, and stop the violence and deaths people face along the way.",
        "Receive people seeking asylum in decent conditions, treat them with dignity and in line with "
        "human rights, and include them in the communities they reach.",
        "Join the Refugee Convention, lift the reservations that weaken it, and decide asylum claims "
        "fairly and efficiently.",
        "Open more lasting solutions for refugees, including more places for resettlement.",
        "Stand by the countries and communities that host most of the world's refugees, and share "
        "the support they need.",
    ],
    "organiser_name": "The UN Refugee Agency's UK charity partner",
    "featured_country": "GB",
    # Title, summary and asks in the site's other languages; the body stays English (the pages say so).
    "translations": {
        "fr": {
            "title": "Protégez les personnes qui demandent l’asile",
            "summary": "Les dirigeants du monde se réunissent au Forum mondial sur les réfugiés, à Genève. "
                       "Demandez-leur de protéger les personnes qui fuient la guerre et la persécution, et les "
                       "droits qu’elles ont partout où elles cherchent refuge.",
            "asks": [
                "Garder ouvertes les routes vers la sécurité, et mettre fin aux violences et aux morts sur le chemin.",
                "Accueillir les demandeurs d’asile dans des conditions décentes, avec dignité et dans le respect "
                "des droits humains, et les inclure dans les communautés où ils arrivent.",
                "Adhérer à la Convention relative au statut des réfugiés, lever les réserves qui l’affaiblissent "
                "et traiter les demandes d’asile de façon juste et efficace.",
                "Ouvrir davantage de solutions durables pour les réfugiés, dont plus de places de réinstallation.",
                "Soutenir les pays et les communautés qui accueillent la plupart des réfugiés du monde, et "
                "partager l’aide dont ils ont besoin.",
            ],
        },
        "es": {
            "title": "Protege a las personas que piden asilo",
            "summary": "Los líderes mundiales se reúnen en el Foro Mundial sobre los Refugiados, en Ginebra. "
                       "Pídeles que protejan a quienes huyen de la guerra y la persecución, y los derechos que "
                       "tienen allí donde buscan seguridad.",
            "asks": [
                "Mantener abiertas las rutas hacia la seguridad y acabar con la violencia y las muertes en el camino.",
                "Acoger a quienes piden asilo en condiciones dignas, conforme a los derechos humanos, e "
                "incluirlos en las comunidades a las que llegan.",
                "Adherirse a la Convención sobre el Estatuto de los Refugiados, retirar las reservas que la "
                "debilitan y resolver las solicitudes de asilo de forma justa y eficaz.",
                "Abrir más soluciones duraderas para los refugiados, con más plazas de reasentamiento.",
                "Apoyar a los países y comunidades que acogen a la mayoría de los refugiados del mundo y "
                "compartir la ayuda que necesitan.",
            ],
        },
        "ar": {
            "title": "احموا الأشخاص الذين يطلبون اللجوء",
            "summary": "يجتمع قادة العالم في المنتدى العالمي للاجئين في جنيف. اطلب منهم حماية الفارّين من "
                       "الحرب والاضطهاد، وحماية الحقوق التي يملكونها أينما طلبوا الأمان.",
            "asks": [
                "إبقاء طرق الوصول إلى الأمان مفتوحة، ووقف العنف والوفيات على طول الطريق.",
                "استقبال طالبي اللجوء في ظروف لائقة، ومعاملتهم بكرامة ووفق حقوق الإنسان، ودمجهم في "
                "المجتمعات التي يصلون إليها.",
                "الانضمام إلى اتفاقية اللاجئين، ورفع التحفظات التي تضعفها، والبتّ في طلبات اللجوء بعدل وكفاءة.",
                "فتح مزيد من الحلول الدائمة للاجئين، ومنها مزيد من أماكن إعادة التوطين.",
                "الوقوف إلى جانب البلدان والمجتمعات التي تستضيف معظم لاجئي العالم، وتقاسم الدعم الذي تحتاجه.",
            ],
        },
        "uk": {
            "title": "Захистіть людей, які шукають притулку",
            "summary": "Світові лідери збираються на Глобальному форумі з питань біженців у Женеві. Попросіть "
                       "їх захистити тих, хто тікає від війни й переслідувань, і права, які ці люди мають "
                       "усюди, де шукають безпеки.",
            "asks": [
                "Тримати відкритими шляхи до безпеки й зупинити насильство та загибель людей у дорозі.",
                "Приймати шукачів притулку в гідних умовах, з повагою до прав людини, і включати їх у "
                "громади, до яких вони прибувають.",
                "Приєднатися до Конвенції про статус біженців, зняти застереження, що її послаблюють, і "
                "розглядати заяви про притулок справедливо та швидко.",
                "Відкрити більше довготривалих рішень для біженців, зокрема більше місць для переселення.",
                "Підтримати країни й громади, що приймають більшість біженців світу, і поділитися допомогою, "
                "якої вони потребують.",
            ],
        },
    },
}


def actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"make petition ({user})"


def create(petition_id: str, title: str, summary: str, goal: int, *, if_absent: bool = False,
           status: PetitionStatus = PetitionStatus.OPEN, **fields) -> bool:
    """Create a petition (open unless told otherwise) and its totals item. False if it exists and if_absent."""
    raw = {"petition_id": petition_id, "title": title, "summary": summary, "goal": goal,
           **{k: v for k, v in fields.items() if v is not None}}
    try:
        operations.create(actor(), raw, status)
    except store.Exists:
        if if_absent:
            return False
        raise SystemExit(f"petition {petition_id} already exists; use update") from None
    except store.Problems as problems:
        raise SystemExit(_explain(problems)) from None
    return True


def update(petition_id: str, *, status: PetitionStatus | None = None, **changes) -> dict:
    """Change the given fields (None leaves a field alone); ``status`` opens or closes the petition."""
    raw = {k: v for k, v in changes.items() if v is not None}
    try:
        after = operations.update(actor(), petition_id, raw) if raw else store.fields_of(_existing(petition_id))
        if status is not None and status != after["status"]:
            change = {PetitionStatus.OPEN: "reopen" if after["status"] == PetitionStatus.CLOSED else "open",
                      PetitionStatus.CLOSED: "close"}[PetitionStatus(status)]
            after = operations.change_status(actor(), petition_id, change)
    except store.Problems as problems:
        raise SystemExit(_explain(problems)) from None
    except store.WrongState as problem:
        raise SystemExit(str(problem)) from None
    catalog.reset()
    return after


def _existing(petition_id: str):
    petition = store.get(petition_id)
    if petition is None:
        raise store.NotFound(petition_id)
    return petition


def _explain(problems: store.Problems) -> str:
    return "\n".join(f"{field}: {message}" for field, message in problems.errors.items())


def _targets(pairs: list[str] | None) -> dict[str, str] | None:
    if not pairs:
        return None
    out = {}
    for pair in pairs:
        code, _, number = pair.partition("=")
        out[code.strip()] = number.strip()
    return out


def _content_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--closes-at", dest="closes_at")
    parser.add_argument("--thanks-url", dest="thanks_url")
    parser.add_argument("--ask", action="append", dest="asks", help="one ask; repeat in order (replaces them all)")
    parser.add_argument("--body", help="the petition's text, in Markdown")
    parser.add_argument("--body-file", type=Path, help="read the body from this Markdown file")
    parser.add_argument("--image-url", dest="image_url")
    parser.add_argument("--image-alt", dest="image_alt")
    parser.add_argument("--image-credit", dest="image_credit")
    parser.add_argument("--organiser-name", dest="organiser_name")
    parser.add_argument("--organiser-url", dest="organiser_url")
    parser.add_argument("--featured-country", dest="featured_country", help="its figure shows on the sign page")
    parser.add_argument("--target", action="append", dest="targets", metavar="CC=N",
                        help="a country's target, like GB=8500; repeat (replaces them all)")
    parser.add_argument("--require-verification", action=argparse.BooleanOptionalAction, default=None,
                        help="signers confirm by email before their signature counts (new signatures only)")
    parser.add_argument("--challenge", action=argparse.BooleanOptionalAction, default=None,
                        help="signers pass a CAPTCHA (Cloudflare Turnstile) first: for a petition under attack")


def _content(args: argparse.Namespace) -> dict:
    body = args.body_file.read_text(encoding="utf-8") if args.body_file else args.body
    return {"closes_at": args.closes_at, "thanks_url": args.thanks_url, "asks": args.asks, "body": body,
            "image_url": args.image_url, "image_alt": args.image_alt, "image_credit": args.image_credit,
            "organiser_name": args.organiser_name, "organiser_url": args.organiser_url,
            "featured_country": args.featured_country, "country_targets": _targets(args.targets),
            "require_verification": args.require_verification, "challenge": args.challenge}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.petition_admin", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("create", help="create a petition (open, or a draft with --draft)")
    c.add_argument("petition_id")
    c.add_argument("--title", required=True)
    c.add_argument("--summary", required=True)
    c.add_argument("--goal", required=True)
    c.add_argument("--draft", action="store_true", help="not public until `open`")
    _content_arguments(c)
    u = sub.add_parser("update", help="change a petition's fields")
    u.add_argument("petition_id")
    u.add_argument("--title")
    u.add_argument("--summary")
    u.add_argument("--goal")
    _content_arguments(u)
    for verb in ("open", "close", "reopen", "show"):
        sub.add_parser(verb, help=f"{verb} a petition").add_argument("petition_id")
    sub.add_parser("list", help="list every petition, drafts included")
    sub.add_parser("seed-demo", help="create the demo petition if it is missing")
    args = parser.parse_args(argv)

    try:
        if args.command == "create":
            create(args.petition_id, args.title, args.summary, args.goal,
                   status=PetitionStatus.DRAFT if args.draft else PetitionStatus.OPEN, **_content(args))
        elif args.command == "update":
            update(args.petition_id, title=args.title, summary=args.summary, goal=args.goal, **_content(args))
        elif args.command in store.TRANSITIONS:
            try:
                operations.change_status(actor(), args.petition_id, args.command)
            except store.WrongState as problem:
                print(problem, file=sys.stderr)
                return 1
        elif args.command == "seed-demo":
            created = create(**DEMO, if_absent=True)
            print("demo petition created" if created else "demo petition already present")
            return 0
        if args.command == "list":
            for p in store.every():
                print(json.dumps(store.fields_of(p)))
            return 0
        print(json.dumps(store.fields_of(_existing(args.petition_id)), indent=2))
    except store.NotFound:
        print(f"no petition {args.petition_id!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
