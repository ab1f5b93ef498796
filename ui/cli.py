"""`rag` command line: ingest, ask, articles, chat, serve, mcp, eval, bench.

Only argparse is imported at start-up, so `rag --help` is instant; each command imports what it
needs. `RagError`s become one-line messages here and nowhere else.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingest.sources import ReadOptions


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command in (None, "help"):
        parser.print_help()
        return 0
    if rest and args.command not in ("eval", "bench"):
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    from rag.core.errors import RagError

    try:
        return int(args.handler(args, rest) or 0)
    except RagError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rag", description="Ask questions about a folder of news articles; every answer cites its passages."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    p = sub.add_parser(
        "ingest", help="clean, chunk and index articles: folders, files, feeds, dumps, URLs",
        description="Pages (.txt .md .html .pdf .docx), RSS/Atom feeds (.rss .atom .xml), JSON Lines and CSV "
        "dumps (.jsonl .ndjson .csv, one article a row) and http(s) URLs of pages or feeds.",
    )
    p.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    p.add_argument("--field", action="append", default=[], metavar="NAME=COLUMN",
                   help="where a dump keeps a field, e.g. text=article outlet=publication "
                   "(fields: title text date url outlet author)")
    p.add_argument("--max-dump-mb", type=int, default=None, metavar="MB",
                   help="size cap of one dump file (default 1024)")
    p.set_defaults(handler=_ingest)
    p = sub.add_parser("ask", help="answer one question and print its sources")
    p.add_argument("question")
    p.add_argument("--json", action="store_true", help="print the answer as the JSON `POST /api/ask` returns")
    p.add_argument("--as-of", dest="as_of", default=None, metavar="DATE",
                   help="the date the question is asked on, e.g. 2024-01-30 (default: today)")
    p.set_defaults(handler=_ask)
    p = sub.add_parser("articles", help="list the ingested articles, newest first")
    p.add_argument("--json", action="store_true", help="print the list as the JSON `GET /api/articles` returns")
    p.set_defaults(handler=_articles)
    p = sub.add_parser("chat", help="chat in the terminal (follow-up questions keep context)")
    p.set_defaults(handler=_chat)
    p = sub.add_parser("serve", help="start the chat page and the HTTP API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.set_defaults(handler=_serve)
    p = sub.add_parser("mcp", help="serve the articles to MCP clients (desktop assistants, IDE agents) over stdio")
    p.add_argument("--http", action="store_true", help="streamable HTTP at /mcp instead of stdio")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765)
    p.set_defaults(handler=_mcp)
    p = sub.add_parser("eval", help="score answers against a gold Q&A set (see python -m eval --help)", add_help=False)
    p.set_defaults(handler=_eval)
    p = sub.add_parser("bench", help="benchmark against the plain llama-index pipeline", add_help=False)
    p.set_defaults(handler=_bench)
    return parser


def _ingest(args: argparse.Namespace, _: list[str]) -> int:
    from ingest.pipeline import ingest
    from rag.core.settings import load_settings

    report = ingest(args.sources, load_settings(), options=_read_options(args))
    for name, reason in report.errors:
        print(f"  {name}: {reason}", file=sys.stderr)
    print(report.summary())
    return 0


def _read_options(args: argparse.Namespace) -> ReadOptions:
    from ingest.dumps import DumpFields
    from ingest.sources import ReadOptions
    from rag.core.errors import ConfigError

    pairs = [item.partition("=") for item in args.field]
    if any(not name or not sep or not column for name, sep, column in pairs):
        raise ConfigError("--field takes NAME=COLUMN, e.g. --field text=article")
    try:
        fields = DumpFields().with_names({name: column for name, _, column in pairs})
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if args.max_dump_mb is None:
        return ReadOptions(fields=fields)
    return ReadOptions(fields=fields, max_dump_bytes=args.max_dump_mb * 1024 * 1024)


def _ask(args: argparse.Namespace, _: list[str]) -> int:
    _start_local_model_early()
    import rag

    answer = rag.ask(args.question, as_of=args.as_of)
    if args.json:
        from ui.api_models import AskResponse

        print(AskResponse.of(answer).model_dump_json(indent=2))
    else:
        print(format_answer(answer))
    return 0


def _start_local_model_early() -> None:
    """With the local model, start loading it before the heavy imports, which it then overlaps."""
    from rag.core.settings import load_settings
    from rag.generate.local_model import llm_mode

    settings = load_settings()
    if llm_mode(settings) == "local":
        from rag.generate.local_server import start_in_background

        start_in_background(settings)


def _articles(args: argparse.Namespace, _: list[str]) -> int:
    from rag.api import default_rag
    from ui.api_models import ArticlesResponse

    listing = ArticlesResponse.of(default_rag().articles())
    if args.json:
        print(listing.model_dump_json(indent=2))
        return 0
    for a in listing.articles:
        origin = ", ".join(x for x in (a.outlet, a.date) if x) or "outlet and date unknown"
        print(f"{a.title} ({origin}) — {a.source}, {a.chunks} chunks")
    print(f"{listing.count} articles")
    return 0


def format_answer(answer) -> str:
    lines = [answer.text]
    if answer.notice:
        lines.append(f"({answer.notice})")
    if answer.citations:
        lines.append("")
        lines.append("Sources:" if not answer.abstained else "Closest passages:")
    for c in answer.citations:
        origin = ", ".join(x for x in (c.outlet, c.date) if x)
        lines.append(f"[{c.number}] {c.title} ({origin or 'outlet and date unknown'}) — {c.source}")
        lines.append(f"    “{c.quote[:300]}”")
        others = sorted({r.outlet or r.source for r in c.also_reported_by})
        if others:
            lines.append(f"    also reported by: {', '.join(others)}")
    lines.append(f"[{answer.mode}{': ' + answer.model if answer.model else ''}]")
    return "\n".join(lines)


def _chat(args: argparse.Namespace, _: list[str]) -> int:
    _start_local_model_early()
    import rag
    from rag.core.errors import InvalidQuestionError

    history: list[dict[str, str]] = []
    print("Ask about the articles (empty line or Ctrl-D to quit).")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            return 0
        if not question:
            return 0
        try:
            answer = rag.ask(question, history)
        except InvalidQuestionError as exc:
            print(f"error: {exc}")
            continue
        print(format_answer(answer) + "\n")
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


def _serve(args: argparse.Namespace, _: list[str]) -> int:
    from rag.core.settings import load_settings
    from ui.server import serve

    serve(load_settings(), host=args.host, port=args.port)
    return 0


def _mcp(args: argparse.Namespace, _: list[str]) -> int:
    from rag.core.settings import load_settings
    from ui.mcp_server import serve_http, serve_stdio

    if args.http:
        serve_http(load_settings(), args.host, args.port)
    else:
        serve_stdio(load_settings())
    return 0


def _eval(args: argparse.Namespace, rest: list[str]) -> int:
    from eval.harness import main as eval_main

    return eval_main(rest)


def _bench(args: argparse.Namespace, rest: list[str]) -> int:
    from eval.bench import main as bench_main

    return bench_main(rest)


if __name__ == "__main__":
    sys.exit(main())
