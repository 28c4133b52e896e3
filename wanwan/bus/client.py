"""The MQTT bus: one paho-mqtt 2.x client with validated dispatch and request/response.

- Reconnects by itself with backoff; subscriptions are restored on every connect.
- Every incoming payload is parsed as JSON and validated with its pydantic model; a malformed,
  oversized or non-JSON payload is logged and dropped, never raised into paho's thread.
- ``request()`` sends a command carrying ``request_id`` and ``reply_to`` in its JSON and waits
  for the instrument's explicit acknowledgement or error until a deadline.
- Presence is retained under ``{prefix}/presence/{client_id}`` with a last will of "offline".
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import BaseModel, ValidationError

from wanwan.bus.hermes import HermesMessage
from wanwan.bus.messages import CommandReply, CommandRequest, Message
from wanwan.bus.topics import Topics

log = logging.getLogger(__name__)

MAX_PAYLOAD = 256 * 1024  # our messages are small; anything larger is refused unread
Handler = Callable[[str, Any], None]


class CommandTimeout(Exception):
    """The instrument did not acknowledge within the deadline."""


class CommandWithdrawn(CommandTimeout):
    """The sender's gate said no at the moment of sending (a stop was heard meanwhile)."""


class CommandNotSent(CommandTimeout):
    """The command never left: no connection to the broker. A kind of time-out to callers that
    only care that nothing was acknowledged; those that report it say it was not sent."""


@dataclass
class BrokerAddress:
    host: str = "127.0.0.1"
    port: int = 1883
    protocol: str = "5"  # "5" or "3.1.1"
    tls: bool = False
    ca_file: str | None = None
    username: str | None = None
    password: str | None = None
    keepalive_s: int = 30
    cert_file: str | None = None  # a client certificate, for brokers that ask for one
    key_file: str | None = None


@dataclass(frozen=True)
class SendGate:
    lock: threading.Lock
    still_wanted: Callable[[], bool]
    why: str = "cancelled"


@dataclass
class _Subscription:
    pattern: str
    model: type[BaseModel] | None
    handler: Handler
    qos: int
    raw: bool = False  # the handler takes the payload's bytes as they came (audio)
    max_bytes: int = MAX_PAYLOAD


@dataclass
class BusStats:
    received: int = 0
    dropped: int = 0
    connects: int = 0
    disconnects: int = 0
    last_drop: str = ""
    drop_reasons: list[str] = field(default_factory=list)


class Bus:
    """One MQTT connection: validated messages in, JSON out, commands with acknowledgements.

    Handlers run on paho's network thread and must return quickly: anything that waits for
    the broker (``request``) from there would wait for itself. Subscriptions survive
    reconnects; the broker's retained presence says whether this client is online.
    """

    def __init__(self, address: BrokerAddress, client_id: str | None = None,
                 topics: Topics | None = None, *, presence: bool | str = True,
                 persistent_session: bool = False) -> None:
        """``persistent_session``: the broker keeps this client's subscriptions and queues its
        QoS 1 messages while it is away (for consumers that must see every record)."""
        self.address = address
        self.topics = topics or Topics()
        self.client_id = client_id or f"wanwan-{uuid.uuid4().hex[:8]}"
        self.stats = BusStats()
        self._subs: list[_Subscription] = []
        self._pending: dict[str, tuple[threading.Event, list[CommandReply],
                                       Callable[[CommandReply], bool] | None]] = {}
        self._lock = threading.Lock()
        self._connected = threading.Event()
        self._on_connect_hooks: list[Callable[[], None]] = []
        self._on_publish_hooks: list[Callable[[int], None]] = []
        # subscriptions sent and not yet acknowledged by the broker (their message ids)
        self._unacknowledged: set[int] = set()
        self._acknowledged = threading.Condition(self._lock)
        # True: {prefix}/presence/{client_id}; a topic: there (a satellite's, per site)
        self._presence = presence
        self.presence_topic = (presence if isinstance(presence, str)
                               else self.topics.presence(self.client_id))
        self._stopping = False
        self.reply_topic = self.topics.reply(self.client_id)

        v5 = address.protocol == "5"
        self.client = mqtt.Client(
            callback_api_version=mqtt.CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
            protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311,
            **({} if v5 else {"clean_session": not persistent_session}),
        )
        self._connect_options: dict[str, Any] = {}
        if v5 and persistent_session:
            props = Properties(PacketTypes.CONNECT)
            props.SessionExpiryInterval = 24 * 3600
            self._connect_options = {"clean_start": False, "properties": props}
        self.client.max_queued_messages_set(0)
        self.client.max_inflight_messages_set(1000)
        self.client.reconnect_delay_set(min_delay=0.1, max_delay=5)
        if address.username:
            self.client.username_pw_set(address.username, address.password)
        if address.tls:
            self.client.tls_set(ca_certs=address.ca_file, certfile=address.cert_file,
                                keyfile=address.key_file, cert_reqs=ssl.CERT_REQUIRED)
        if presence:
            self.client.will_set(self.presence_topic, b'{"status": "offline"}',
                                 qos=1, retain=True)
        self.client.on_socket_open = _no_delay
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self.client.on_subscribe = self._on_subscribe
        self.subscribe(self.reply_topic, CommandReply, self._on_reply, qos=1)

    # -- connection --------------------------------------------------------------------------
    def start(self, wait: float | None = 10.0) -> Bus:
        """Connect in the background (retrying for ever); optionally wait for the first connect."""
        self.client.connect_async(self.address.host, self.address.port,
                                  keepalive=self.address.keepalive_s, **self._connect_options)
        self.client.loop_start()
        if wait and not self._connected.wait(wait):
            log.warning("no broker at %s:%d yet; retrying in the background",
                        self.address.host, self.address.port)
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._presence and self.connected:
            info = self.client.publish(self.presence_topic,
                                       b'{"status": "offline"}', qos=1, retain=True)
            with contextlib.suppress(ValueError, RuntimeError):  # broker gone meanwhile
                info.wait_for_publish(1.0)
        self.client.disconnect()
        self.client.loop_stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    def on_connected(self, hook: Callable[[], None]) -> None:
        self._on_connect_hooks.append(hook)

    def on_published(self, hook: Callable[[int], None]) -> None:
        self._on_publish_hooks.append(hook)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            log.error("broker refused the connection: %s", reason_code)
            return
        self.stats.connects += 1
        with self._lock:
            subs = list(self._subs)
        for sub in subs:
            self._send_subscribe(sub.pattern, sub.qos)
        if self._presence:
            client.publish(self.presence_topic, b'{"status": "online"}',
                           qos=1, retain=True)
        self._connected.set()
        if self.stats.connects > 1:
            log.info("reconnected to the broker at %s:%d", self.address.host, self.address.port)
        for hook in self._on_connect_hooks:
            try:
                hook()
            except Exception:  # a hook must not break the connection
                log.exception("on-connect hook failed")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        if self._connected.is_set() and not self._stopping:
            self.stats.disconnects += 1
            log.warning("lost the broker (%s); reconnecting", reason_code)
        self._connected.clear()
        with self._lock:  # a connection's subscriptions are sent again on the next one
            self._unacknowledged.clear()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:
        for hook in self._on_publish_hooks:
            try:
                hook(mid)
            except Exception:
                log.exception("on-publish hook failed")

    # -- subscriptions -----------------------------------------------------------------------
    def subscribe(self, pattern: str, model: type[BaseModel] | None, handler: Handler,
                  qos: int = 1) -> None:
        """Call ``handler(topic, validated)`` for each valid message on ``pattern``."""
        self._add(_Subscription(pattern, model, handler, qos))

    def subscribe_raw(self, pattern: str, handler: Callable[[str, bytes], None], *,
                      qos: int = 0, max_bytes: int = MAX_PAYLOAD) -> None:
        """Call ``handler(topic, payload)`` with the bytes of each message (audio) up to
        ``max_bytes``."""
        self._add(_Subscription(pattern, None, handler, qos, raw=True, max_bytes=max_bytes))

    def _add(self, sub: _Subscription) -> None:
        pattern, qos = sub.pattern, sub.qos
        with self._lock:
            self._subs.append(sub)
        self.client.message_callback_add(pattern, lambda c, u, msg: self._dispatch(sub, msg))
        if self.connected:
            self._send_subscribe(pattern, qos)

    def _send_subscribe(self, pattern: str, qos: int) -> None:
        with self._lock:  # held so that the acknowledgement cannot come before it is awaited
            result, mid = self.client.subscribe(pattern, qos=qos)
            if result == mqtt.MQTT_ERR_SUCCESS and mid is not None:
                self._unacknowledged.add(mid)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        with self._lock:
            self._unacknowledged.discard(mid)
            self._acknowledged.notify_all()

    def wait_subscribed(self, timeout: float) -> bool:
        """Whether the broker has acknowledged every subscription within ``timeout`` seconds:
        a message published before that may not be delivered here."""
        if not self.wait_connected(timeout):
            return False
        with self._lock:
            return self._acknowledged.wait_for(lambda: not self._unacknowledged, timeout)

    def _on_message(self, client, userdata, msg) -> None:
        pass  # every subscription has its own callback

    def drop(self, topic: str, reason: str) -> None:
        """Count and log a message that is refused (malformed, oversized, unexpected)."""
        self.stats.dropped += 1
        self.stats.last_drop = f"{topic}: {reason}"
        if len(self.stats.drop_reasons) < 100:
            self.stats.drop_reasons.append(self.stats.last_drop)
        log.warning("dropped a message on %s: %s", topic, reason)

    def _dispatch(self, sub: _Subscription, msg: mqtt.MQTTMessage) -> None:
        self.stats.received += 1
        payload = msg.payload
        if len(payload) > sub.max_bytes:
            self.drop(msg.topic, f"payload of {len(payload)} bytes is over {sub.max_bytes}")
            return
        if sub.raw:
            value: Any = bytes(payload)
        elif sub.model is None and not payload:
            value = None
        else:
            try:
                value = json.loads(payload)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                self.drop(msg.topic, f"not JSON ({exc.__class__.__name__})")
                return
            if sub.model is not None:
                try:
                    value = sub.model.model_validate(value)
                except ValidationError as exc:
                    first = exc.errors()[0]
                    where = ".".join(map(str, first["loc"])) or "payload"
                    self.drop(msg.topic, f"{where}: {first['msg']}")
                    return
        try:
            sub.handler(msg.topic, value)
        except Exception:
            log.exception("handler for %s failed", msg.topic)

    # -- publishing --------------------------------------------------------------------------
    def publish(self, topic: str, payload: Message | HermesMessage | bytes | str | dict,
                qos: int = 1, retain: bool = False) -> mqtt.MQTTMessageInfo:
        if isinstance(payload, (Message, HermesMessage)):
            data = payload.dump()
        elif isinstance(payload, dict):
            data = json.dumps(payload).encode()
        elif isinstance(payload, str):
            data = payload.encode()
        else:
            data = payload
        return self.client.publish(topic, data, qos=qos, retain=retain)

    # -- request / response ------------------------------------------------------------------
    def request(self, topic: str, command: str, args: dict | None = None, *,
                timeout: float = 3.0, site: str | None = None,
                gate: SendGate | None = None,
                sign: Callable[[CommandRequest], str] | None = None,
                verify: Callable[[CommandReply], bool] | None = None) -> CommandReply:
        """Send a command and wait for its acknowledgement; raises CommandTimeout.

        ``gate``: a lock and a test taken together at the instant of publishing, so that a
        stop which takes the same lock is either before the command (and the command is
        withdrawn) or after it (and the instrument sees the stop second). ``sign`` gives the
        request its token; ``verify`` decides whether an answer is the instrument's own (one
        that is not is ignored, and the wait goes on)."""
        request = CommandRequest(reply_to=self.reply_topic, command=command, args=args or {},
                                 deadline=time.time() + timeout, site=site)
        if sign is not None:
            request.token = sign(request)
        done = threading.Event()
        box: list[CommandReply] = []
        with self._lock:
            self._pending[request.request_id] = (done, box, verify)
        try:
            with gate.lock if gate else contextlib.nullcontext():
                if gate is not None and not gate.still_wanted():
                    raise CommandWithdrawn(f"{command!r} on {topic} withdrawn: {gate.why}")
                info = self.publish(topic, request, qos=1)
            if info.rc == mqtt.MQTT_ERR_NO_CONN:
                # paho would queue it for a reconnect, but the deadline will have passed
                raise CommandNotSent(f"{command!r} on {topic} not sent: no connection to the "
                                     f"broker at {self.address.host}:{self.address.port}")
            if not done.wait(timeout):
                raise CommandTimeout(f"no acknowledgement for {command!r} on {topic} "
                                     f"within {timeout:g} s")
            return box[0]
        finally:
            with self._lock:
                self._pending.pop(request.request_id, None)

    def _on_reply(self, topic: str, reply: CommandReply) -> None:
        with self._lock:
            waiting = self._pending.get(reply.request_id)
        if waiting is None:
            log.debug("late or unknown reply %s", reply.request_id)
            return
        done, box, verify = waiting
        if verify is not None and not verify(reply):
            self.drop(topic, f"an acknowledgement of {reply.request_id} that its instrument "
                             "did not sign")
            return
        box.append(reply)
        done.set()


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Send small packets at once: with Nagle's algorithm a command and its ack each wait
    for the peer's delayed ACK (about 40 ms a leg)."""
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def reply_to(bus: Bus, request: CommandRequest, ok: bool, *, error: str | None = None,
             instrument: str = "", state: dict | None = None,
             sign: Callable[[CommandReply], str] | None = None) -> None:
    """An instrument's answer to a command (used by the simulators), signed by ``sign``."""
    reply = CommandReply(request_id=request.request_id, ok=ok, error=error,
                         instrument=instrument, state=state)
    if sign is not None:
        reply.token = sign(reply)
    bus.publish(request.reply_to, reply)
