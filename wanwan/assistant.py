"""Everything an assistant server runs, wired together: bus, instruments, ledger and audit with
their outbox, the intent engine and the dialogue. With no broker configured it starts its own
mosquitto, and with ``simulate`` the simulated lab, so it runs on a fresh machine as is."""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from wanwan.broker import EmbeddedBroker, write_address_file
from wanwan.bus.client import BrokerAddress, Bus
from wanwan.bus.messages import IntentMessage, ReplyMessage, SiteQuery
from wanwan.bus.outbox import Outbox
from wanwan.bus.topics import Topics
from wanwan.config import SiteConfig
from wanwan.dialogue import Dialogue, Reply, Turn
from wanwan.instruments.gateway import Instruments
from wanwan.instruments.sim import LabSimulator
from wanwan.keys import SiteKey
from wanwan.ledger import Audit, Ledger
from wanwan.listeners import Listeners
from wanwan.names import ReplyKind
from wanwan.nlu import IntentEngine, ParseResult
from wanwan.security import (
    ASSISTANT,
    SIMULATOR,
    CommandKeys,
    acl,
    key_path,
    users,
    with_credentials,
    write_password_file,
)
from wanwan.store import Store, default_store_path

log = logging.getLogger(__name__)


def address_file(store_path: Path) -> Path:
    """Where a server says on which port its private broker listens (beside its database)."""
    return store_path.with_suffix(".broker.json")


def broker_address(config: SiteConfig, port: int | None = None) -> BrokerAddress:
    b = config.broker
    return BrokerAddress(host=b.host or "127.0.0.1", port=port or b.port, protocol=b.protocol,
                         tls=b.tls, ca_file=b.ca_file, username=b.username, password=b.password,
                         keepalive_s=b.keepalive_s)


class SiteLanes:
    """Turns that arrive over MQTT, handled off the network thread.

    A turn waits for acknowledgements that only the MQTT client's network thread can deliver,
    so it must never run on that thread (it did, and every command timed out). Each site has
    one ordered lane: its turns keep their order, and a slow instrument at one site holds up
    no other. A stop is never queued: it runs at once on a thread of its own, beside whatever
    the site's lane is doing.
    """

    def __init__(self, handle: Callable[[str, str, ParseResult, str | None, str | None,
                                         float | None], Turn],
                 understand: Callable[[str], ParseResult],
                 is_stop: Callable[[ParseResult], bool], *, stop_workers: int = 4) -> None:
        self._handle = handle
        self._understand = understand
        self._is_stop = is_stop
        self._lanes: dict[str, queue.SimpleQueue[
            tuple[str, ParseResult, str | None, str | None, float | None, Future] | None]] = {}
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stops = ThreadPoolExecutor(stop_workers, thread_name_prefix="wanwan-stop")
        self._closed = False

    def submit(self, site: str, text: str, source: str | None = None, *,
               parse: ParseResult | None = None, session: str | None = None,
               said_at: float | None = None) -> Future[Turn]:
        """Queue a turn (or run a stop at once); the future holds the Turn. ``parse``: what a
        recogniser understood (it carries the recogniser's doubt); else the text is parsed.
        ``said_at``: when it was said (see :meth:`Dialogue.handle`)."""
        if parse is None:
            parse = self._understand(text)  # a few milliseconds: the stop must be known now
        if self._is_stop(parse):
            return self._stops.submit(self._handle, text, site, parse, source, session,
                                      said_at)
        future: Future = Future()
        with self._lock:
            if self._closed:
                future.set_exception(RuntimeError("the assistant is closing"))
                return future
            lane = self._lanes.get(site)
            if lane is None:
                lane = self._lanes[site] = queue.SimpleQueue()
                thread = threading.Thread(target=self._run, args=(site, lane),
                                          name=f"wanwan-site-{site}", daemon=True)
                self._threads.append(thread)
                thread.start()
        lane.put((text, parse, source, session, said_at, future))
        return future

    def _run(self, site: str, lane: queue.SimpleQueue) -> None:
        while (item := lane.get()) is not None:
            text, parse, source, session, said_at, future = item
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(self._handle(text, site, parse, source, session, said_at))
            except Exception as exc:  # a bad turn must not stop the lane
                log.exception("turn %r at %s failed", text, site)
                future.set_exception(exc)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            lanes = list(self._lanes.values())
        for lane in lanes:
            lane.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._stops.shutdown(wait=True, cancel_futures=True)


class Assistant:
    """The assistant server: every site's dialogue against the lab, over one broker.

    It holds the bus, the instruments' latest states, the ledger and audit log with their
    outbox, the intent engine and the dialogue policy. Text arrives from ``ask()`` (the
    caller's thread) or a site's query topic (its lane); replies, alarms and notices leave on
    the site's reply topic and go to every ``on_reply`` listener. With no broker configured it
    starts a private mosquitto, and with ``simulate`` the simulated lab.
    """

    REPLIES_KEPT = 500  # the latest replies, for tests and tools; listeners see every one

    def __init__(self, config: SiteConfig, engine: IntentEngine, *,
                 store_path: Path | str | None = None, simulate: bool | None = None,
                 address: BrokerAddress | None = None, speed: float = 1.0,
                 on_reply: Callable[[Reply], None] | None = None,
                 client_id: str | None = None) -> None:
        config.check_intents(set(engine.catalog.intents))
        self.config = config
        self.engine = engine
        self.topics = Topics(config.topic_prefix)
        path = Path(store_path or default_store_path(config.ledger_path))
        self.key = SiteKey.load(key_path(config, path))
        self.broker: EmbeddedBroker | None = None
        self._address_file: Path | None = None
        if address is None and config.broker.host is None:
            self.broker = EmbeddedBroker(
                host=config.broker.listen, acl=acl(config),
                users=lambda file: write_password_file(file, self.key, users(config))).start()
            address = broker_address(config, self.broker.port)
            self._address_file = write_address_file(address_file(path), config.broker.listen,
                                                    self.broker.port)
            log.info("started a private mosquitto on %s:%d (a password for every device, an "
                     "ACL from the site configuration)", config.broker.listen, self.broker.port)
        base = address or broker_address(config)
        self.address = with_credentials(base, self.key, ASSISTANT)
        self.simulate = self.broker is not None if simulate is None else simulate
        self.sim: LabSimulator | None = None
        keys = CommandKeys(self.key)
        if self.simulate:
            self.sim = LabSimulator(config, with_credentials(base, self.key, SIMULATOR),
                                    speed=speed, keys=keys).start()
        self.store = Store(path, self.key)
        self.outbox = Outbox(self.store, keep_delivered_s=config.outbox_keep_days * 86400)
        self.bus = Bus(self.address, client_id or config.broker.client_id
                       or f"wanwan-assistant-{uuid.uuid4().hex[:6]}",
                       self.topics)
        self.outbox.attach(self.bus)
        self.instruments = Instruments(self.bus, config.timeouts.instrument_stale_s,
                                       config.timeouts.ack_s, keys)
        self.ledger = Ledger(self.store, self.outbox, self.topics)
        self.audit = Audit(self.store, self.outbox, self.topics)
        self._reply_listeners: Listeners[[Reply]] = Listeners("reply listener")
        self._stop_listeners: Listeners[[str]] = Listeners("stop listener")
        self._turn_listeners: Listeners[[Turn, str | None]] = Listeners("turn listener")
        if on_reply:
            self._reply_listeners.add(on_reply)
        self.replies: deque[Reply] = deque(maxlen=self.REPLIES_KEPT)
        self._replies_lock = threading.Lock()
        self.dialogue = Dialogue(config, engine, self.instruments, self.ledger, self.audit,
                                 self._speak, on_stop=self._stop_listeners.call)
        self.lanes = SiteLanes(
            lambda text, site, parse, source, session, said_at: self.ask(
                text, site, parse=parse, source=source, session=session, said_at=said_at),
            engine.parse, self.dialogue.means_stop)
        self.bus.subscribe(self.topics.all_site_queries, SiteQuery, self._on_query)
        self.bus.start()
        self.dialogue.start()

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Until every configured instrument has reported once (or the timeout)."""
        c = self.config
        wanted = [("dewar", d.id) for d in c.dewars] + [("vessel", v.id) for v in c.vessels]
        wanted += [("transfer", t.id) for t in c.transfer_controllers]
        wanted += [("oxygen", m.id) for m in c.oxygen_monitors]
        for kind, part in (("gas_bag", c.gas_bag), ("compressor", c.compressor),
                           ("storage", c.storage)):
            if part is not None:
                wanted.append((kind, part.id))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.bus.connected and all(
                    self.instruments.reading(k, i).state is not None for k, i in wanted):
                return True
            time.sleep(0.02)
        return False

    # -- turns -------------------------------------------------------------------------------
    def ask(self, text: str, site: str | None = None, *, parse: ParseResult | None = None,
            source: str | None = None, session: str | None = None,
            said_at: float | None = None) -> Turn:
        """One turn at a site, on the caller's thread (never paho's: see SiteLanes).
        ``source``: the satellite or device that heard it (a read-back is confirmed only from
        where it was heard); ``session``: the Hermes session of the utterance, if any;
        ``said_at``: when it was said, if spoken (``time.monotonic()``)."""
        turn = self.dialogue.handle(text, site, parse=parse, source=source, said_at=said_at)
        turn.session = session
        self.bus.publish(self.topics.site(turn.site, "heard"),
                         SiteQuery(text=text, site=turn.site, confidence=None, source=source),
                         qos=0)
        self.bus.publish(self.topics.site(turn.site, "intent"),
                         IntentMessage(site=turn.site, text=text, intent=turn.intent,
                                       slots=turn.slots, confidence=turn.parse.confidence,
                                       decision=turn.decision, reply=turn.reply))
        self._turn_listeners.call(turn, source)
        return turn

    def say(self, site: str, text: str, kind: ReplyKind = ReplyKind.NOTICE,
            ref: str | None = None) -> Reply:
        """Say a line at a site unprompted (an announcement, a Hermes tts/say): on its reply
        topic and through whatever speaks there."""
        reply = Reply(self.config.site(site).id, text, kind, ref=ref)
        self._speak(reply)
        return reply

    def _on_query(self, topic: str, query: SiteQuery) -> None:
        """On paho's network thread: hand the turn to its site's lane and return at once. The
        topic decides the site (the broker lets only that site's devices publish there): a
        payload naming another site is refused."""
        site = topic.split("/")[-2]
        if site not in {s.id for s in self.config.sites} and self.config.sites:
            self.bus.drop(topic, f"unknown site {site!r}")
            return
        if query.site is not None and query.site != site:
            self.bus.drop(topic, f"a query naming site {query.site!r} on site {site!r}'s topic")
            self.audit.record(site, "refused", reason="query names another site",
                              named=query.site, text=query.text[:200])
            return
        self.lanes.submit(site, query.text, query.source)

    def _speak(self, reply: Reply) -> None:
        with self._replies_lock:
            self.replies.append(reply)
        self.bus.publish(self.topics.site(reply.site, "reply"),
                         ReplyMessage(site=reply.site, text=reply.text, kind=reply.kind,
                                      intent=reply.intent))
        self._reply_listeners.call(reply)  # a broken speaker must not break the dialogue

    def on_reply(self, listener: Callable[[Reply], None]) -> Callable[[], None]:
        """Call ``listener`` with every reply, alarm and notice of every site; returns the
        function that removes it."""
        return self._reply_listeners.add(listener)

    def on_turn(self, listener: Callable[[Turn, str | None], None]) -> Callable[[], None]:
        """Call ``listener(turn, source)`` after every turn at every site."""
        return self._turn_listeners.add(listener)

    def on_stop(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call ``listener(site)`` the moment a stop is heard there (before anything is sent):
        what speaks at that site falls silent."""
        return self._stop_listeners.add(listener)

    def transfer_running(self, site: str) -> bool:
        return self.dialogue.transfer_running(site)

    def replies_for(self, site: str, kind: str | None = None) -> list[Reply]:
        with self._replies_lock:
            return [r for r in self.replies if r.site == site and (kind is None or
                                                                   r.kind == kind)]

    # -- shutdown ----------------------------------------------------------------------------
    def close(self) -> None:
        self.lanes.close()
        self.dialogue.close()
        self.outbox.wait_drained(2.0)
        self.outbox.close()
        self.bus.stop()
        if self.sim:
            self.sim.stop()
        self.store.close()
        if self.broker:
            self.broker.close()
        if self._address_file is not None:
            self._address_file.unlink(missing_ok=True)

    def __enter__(self) -> Assistant:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
