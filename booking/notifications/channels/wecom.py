"""WeCom (企业微信) application messages: a `textcard` with a link, sent by our agent.

The access token comes from /cgi-bin/gettoken and is cached until it expires (expires_in,
7200 s), as the WeCom API asks: gettoken is rate-limited, and a new token does not end the old.
A token refused as invalid or expired (40001, 40014, 42001) is fetched again once.
"""

import threading
import time

import requests

from . import Recipient, Rendered, SendError

TIMEOUT = 10
EXPIRED = {40001, 40014, 42001}
_tokens: dict[tuple, tuple[str, float]] = {}
_lock = threading.Lock()


class WeComChannel:
    name = "wecom"

    def __init__(self, base_url: str, corp_id: str, agent_id: str, secret: str):
        self.base, self.corp_id, self.agent_id, self.secret = base_url.rstrip("/"), corp_id, agent_id, secret

    @classmethod
    def from_config(cls, config):
        return cls(
            config.get("WECOM_BASE_URL") or "https://qyapi.weixin.qq.com",
            config["WECOM_CORP_ID"],
            config["WECOM_AGENT_ID"],
            config["WECOM_SECRET"],
        )

    def _token(self, fresh: bool = False) -> str:
        key = (self.base, self.corp_id, self.secret)
        with _lock:
            cached = _tokens.get(key)
            if cached and not fresh and cached[1] > time.monotonic():
                return cached[0]
            try:
                answer = requests.get(
                    f"{self.base}/cgi-bin/gettoken",
                    params={"corpid": self.corp_id, "corpsecret": self.secret},
                    timeout=TIMEOUT,
                ).json()
            except (requests.RequestException, ValueError) as exc:
                raise SendError(f"wecom gettoken: {exc!r}") from exc
            if answer.get("errcode", 0) != 0 or not answer.get("access_token"):
                raise SendError(f"wecom gettoken: {answer.get('errcode')} {answer.get('errmsg')}")
            # Renew a minute early, so a token never expires between our check and WeCom's.
            _tokens[key] = (answer["access_token"], time.monotonic() + int(answer.get("expires_in", 7200)) - 60)
            return answer["access_token"]

    def body(self, message: Rendered, recipient: Recipient) -> dict:
        return {
            "touser": recipient.wecom_user,
            "msgtype": "textcard",
            "agentid": int(self.agent_id),
            "textcard": {
                "title": message.subject[:128],
                "description": message.summary[:512],
                "url": message.link,
                "btntxt": message.button[:4],
            },
        }

    def send(self, message: Rendered, recipient: Recipient) -> None:
        if not recipient.wecom_user:
            raise SendError("no WeCom user", permanent=True)
        body = self.body(message, recipient)
        for attempt in (0, 1):
            token = self._token(fresh=attempt == 1)
            try:
                answer = requests.post(
                    f"{self.base}/cgi-bin/message/send", params={"access_token": token}, json=body, timeout=TIMEOUT
                ).json()
            except (requests.RequestException, ValueError) as exc:
                raise SendError(f"wecom send: {exc!r}") from exc
            code = answer.get("errcode", -1)
            if code == 0:
                if answer.get("invaliduser"):
                    raise SendError(f"wecom: unknown user {answer['invaliduser']}", permanent=True)
                return
            if code not in EXPIRED:
                raise SendError(f"wecom send: {code} {answer.get('errmsg')}")
        raise SendError("wecom send: token refused twice")
