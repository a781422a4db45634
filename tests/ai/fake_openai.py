"""A real local HTTP server that speaks the OpenAI protocol, for tests (no internet here).

    POST /v1/chat/completions   scripted answers: text, tool calls, errors; `stream: true`
                                answers as server-sent events, as OpenAI does
    POST /v1/embeddings         deterministic unit vectors of `dimensions` per text

Production code talks to it unchanged, through the `openai` client and LangChain, with
`base_url` pointing here. Tests queue answers with `script(...)` and read what was asked
in `requests`.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np


class FakeOpenAI:
    def __init__(self, dimensions: int = 384) -> None:
        self.dimensions = dimensions
        self.requests: list[dict[str, Any]] = []  # path, headers, body of every request
        self._answers: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def start(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def script(self, *answers: dict[str, Any]) -> None:
        """Queue chat answers, each one of:
        {"content": "text"}, {"tool_calls": [("name", {args})]}, {"status": 429},
        {"delay": seconds, ...} (sleeps first)."""
        with self._lock:
            self._answers.clear()
            self._answers.extend(answers)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    # -- protocol --------------------------------------------------------------------

    def _next(self) -> dict[str, Any]:
        with self._lock:
            return self._answers.popleft() if self._answers else {"content": "(no script)"}

    def _completion(self, body: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {"role": "assistant", "content": answer.get("content")}
        finish = "stop"
        if "tool_calls" in answer:
            message["tool_calls"] = [
                {
                    "id": f"call_{i}_{name}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
                for i, (name, args) in enumerate(answer["tool_calls"])
            ]
            finish = "tool_calls"
        prompt = sum(len(str(m.get("content") or "")) for m in body.get("messages", [])) // 4
        completion = len(str(answer.get("content") or "")) // 4 + 5
        return {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        }

    def _chunks(self, completion: dict[str, Any]) -> list[dict[str, Any]]:
        """The same answer as stream chunks: role, then the content word by word (or the
        tool calls), then the finish reason and the usage."""
        base = {k: completion[k] for k in ("id", "created", "model")}
        base["object"] = "chat.completion.chunk"
        choice = completion["choices"][0]
        deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
        text = choice["message"].get("content") or ""
        deltas += [{"content": piece} for piece in text.split(" ") if piece]
        for i, call in enumerate(choice["message"].get("tool_calls") or []):
            deltas.append({"tool_calls": [{"index": i, **call}]})
        chunks = [
            {**base, "choices": [{"index": 0, "delta": d, "finish_reason": None}]} for d in deltas
        ]
        chunks.append(
            {
                **base,
                "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}],
            }
        )
        chunks.append({**base, "choices": [], "usage": completion["usage"]})
        return chunks

    def _embedding(self, text: str, dimensions: int) -> list[float]:
        seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
        vector = np.random.default_rng(seed).standard_normal(dimensions)
        return [float(x) for x in vector / np.linalg.norm(vector)]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                # The client may have given up (a timeout test): nothing to answer then.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._answer()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                if self.path.endswith("/embeddings"):
                    texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
                    dims = int(body.get("dimensions") or fake.dimensions)
                    self._send(
                        200,
                        {
                            "object": "list",
                            "model": body.get("model"),
                            "data": [
                                {
                                    "object": "embedding",
                                    "index": i,
                                    "embedding": fake._embedding(t, dims),
                                }
                                for i, t in enumerate(texts)
                            ],
                            "usage": {"prompt_tokens": 1, "total_tokens": 1},
                        },
                    )
                    return
                if not self.path.endswith("/chat/completions"):
                    self._send(
                        404, {"error": {"message": "not here", "type": "invalid_request_error"}}
                    )
                    return
                answer = fake._next()
                if answer.get("delay"):
                    time.sleep(float(answer["delay"]))
                if answer.get("status"):
                    self._send(
                        int(answer["status"]),
                        {"error": {"message": "scripted failure", "type": "rate_limit_error"}},
                    )
                    return
                completion = fake._completion(body, answer)
                if not body.get("stream"):
                    self._send(200, completion)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in fake._chunks(completion):
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
