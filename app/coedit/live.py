"""Reviewers editing one review task together: ``/ws/reviews/{review_id}/doc``.

The protocol (binary WebSocket frames, first byte the kind, the rest its payload)
------------------------------------------------------------------------------------
==========  ===============  ==========================================================
kind        direction        payload
==========  ===============  ==========================================================
0 SYNC1     both             a Yjs state vector: "this is what I have"
1 SYNC2     both             the update the other side lacks (answer to SYNC1)
2 UPDATE    both             an incremental Yjs update
3 JSON      both             UTF-8 JSON with a ``type``: the client sends
                             ``presence`` ({field, client}: the field it is in, its Yjs
                             client id); the server sends ``welcome`` ({conn}),
                             ``people`` (everyone here, stamped by the server with name,
                             initials and colour: nobody can pose as someone else) and
                             ``decided`` ({by}) before closing with 4409
==========  ===============  ==========================================================

On every (re)connect the client sends SYNC1 with its state vector; the server answers SYNC2
(everything the client lacks: the full document for a new page) and its own SYNC1; the client
answers SYNC2 with what the server lacks, so edits typed while offline merge on return. After
that, every change goes out as an UPDATE. The merge is Yjs' (pycrdt here, Yjs in the browser).

Rooms, processes and storage
----------------------------
Each process keeps one ``Room`` per review task with at least one socket on it: a pycrdt
``Doc``, its sockets, and one subscription to the task's channel (``<namespace>:coedit:<id>``,
Channels on Redis pub/sub across processes, in memory within one). An update from a socket is
applied to the room's doc, sent to the room's other sockets at once, and published; every other
process applies it and forwards it to its sockets. Channel messages are
``<json header>\\n<payload>`` with kinds ``u`` (update), ``p`` (presence), ``l`` (leave),
``h`` (hello: a room just opened, payload its state vector; rooms elsewhere answer with the
update it lacks and their presence) and ``d`` (decided). A room ignores its own ``u``/``p``/``h``.

The room saves its whole doc, merged with the stored row (``service.save``), 0.5 s after a
local edit and when its last socket leaves; the merged row comes back and anything new in it is
applied and forwarded (so a message Channels dropped under backpressure is made good), and every
5 s a room re-reads the row for the same reason. A new room loads the row (seeding it from the
answer on first use), so a reload or a new joiner gets exactly the current state.

Presence is not stored: each socket's entry lives in every room of the task, refreshed by the
client every 10 s and dropped on leave (at once) or after 30 s without news (a process that died).
A socket whose outgoing queue fills (a stuck client) is closed; it reconnects and resyncs.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from litestar import WebSocket, websocket
from litestar.channels import ChannelsPlugin
from litestar.exceptions import WebSocketDisconnect
from pycrdt import Doc

from app.coedit import service
from app.db import Database
from app.errors import Conflict, DomainError, NotFound
from app.realtime import RESYNC

log = logging.getLogger(__name__)

SYNC1, SYNC2, UPDATE, JSON_MSG = 0, 1, 2, 3
SAVE_DELAY = 0.5
RESYNC_EVERY = 5.0
PRESENCE_TTL = 30.0
SOCKET_QUEUE = 512
MAX_MESSAGE = service.MAX_STATE_BYTES
CLOSE_DECIDED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_TOO_BIG, CLOSE_SLOW = 4409, 4403, 4404, 4413, 4408


def initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w]
    letters = "".join(w[0] for w in words[:2]) if len(words) > 1 else (name[:2] if name else "?")
    return letters.upper()


def colour(user_id: int) -> str:
    """A colour per person, the same on every page and process."""
    hue = int(hashlib.sha256(str(user_id).encode()).hexdigest()[:4], 16) % 360
    return f"hsl({hue} 70% 40%)"


@dataclass(eq=False)
class Peer:
    """One socket in a room."""

    conn: str
    user_id: int
    name: str
    leaseholder: bool
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(SOCKET_QUEUE))
    closed: bool = False
    close_code: int = 1000

    def send(self, message: bytes) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:  # a stuck client: it reconnects and resyncs, losing nothing
            self.close(CLOSE_SLOW)

    def close(self, code: int) -> None:
        if not self.closed:
            self.closed, self.close_code = True, code
            try:
                self.queue.put_nowait(None)  # the writer sends what is queued, then closes
            except asyncio.QueueFull:  # make room for the end marker
                self.queue.get_nowait()
                self.queue.put_nowait(None)

    def entry(self, field_name: str | None, client: int | None) -> dict[str, Any]:
        return {"conn": self.conn, "user_id": self.user_id, "name": self.name, "initials": initials(self.name),
                "colour": colour(self.user_id), "field": field_name, "client": client,
                "leaseholder": self.leaseholder}


def json_message(body: dict[str, Any]) -> bytes:
    return bytes([JSON_MSG]) + json.dumps(body, separators=(",", ":")).encode()


class Room:
    """One review task's document in this process (see the module docstring)."""

    def __init__(self, hub: "Hub", review_id: int):
        self.hub = hub
        self.review_id = review_id
        self.channel = hub.channel(review_id)
        self.instance = secrets.token_hex(8)
        self.doc = Doc()
        self.fields: set[str] = set()
        self.peers: dict[str, Peer] = {}
        self.presence: dict[str, dict[str, Any]] = {}  # conn -> entry (with "seen": monotonic time)
        self.editors: set[int] = set()  # people whose edits are not saved yet
        self.dirty = False
        self.refs = 0
        self.decided = False
        self._save_lock = asyncio.Lock()
        self._save_task: asyncio.Task | None = None
        self._tasks: list[asyncio.Task] = []
        self._subscriber = None

    # -- life ----------------------------------------------------------------------------------
    async def open(self, task) -> None:
        channels = self.hub.channels
        self._subscriber = await channels.subscribe([self.channel])  # first: nothing published after is missed
        self._tasks.append(asyncio.create_task(self._consume()))
        async with self.hub.db.transaction() as session:
            state, names = await service.load_or_seed(session, task)
        self.fields = set(names)
        self.doc.apply_update(state)
        self._publish("h", self.doc.get_state())  # rooms elsewhere send what they have and we lack
        self._tasks.append(asyncio.create_task(self._tick()))

    async def close(self) -> None:
        if self._save_task is not None:
            self._save_task.cancel()
        with contextlib.suppress(Exception):
            await self.save()
        for task in self._tasks:
            task.cancel()
        if self._subscriber is not None:
            with contextlib.suppress(Exception):
                await self.hub.channels.unsubscribe(self._subscriber)

    # -- from sockets --------------------------------------------------------------------------
    def add(self, peer: Peer) -> None:
        self.peers[peer.conn] = peer
        peer.send(json_message({"type": "welcome", "conn": peer.conn}))

    def remove(self, peer: Peer) -> None:
        self.peers.pop(peer.conn, None)
        if self.presence.pop(peer.conn, None) is not None:
            self._publish("l", b"", conn=peer.conn)
            self._send_people()

    def receive(self, peer: Peer, message: bytes) -> None:
        if not message:
            return
        kind, payload = message[0], message[1:]
        if kind == SYNC1:
            try:
                missing = self.doc.get_update(payload)
            except Exception:
                peer.close(1003)
                return
            self._send_people(only=peer)  # first: the client can name the authors of what follows
            peer.send(bytes([SYNC2]) + missing)
            peer.send(bytes([SYNC1]) + self.doc.get_state())
        elif kind in (SYNC2, UPDATE):
            if payload == service.EMPTY_UPDATE or not payload:
                return
            before = self.doc.get_update() if kind == SYNC2 else None  # a SYNC2 often brings nothing new
            try:
                self.doc.apply_update(payload)
            except Exception:
                peer.close(1003)
                return
            if before is not None and self.doc.get_update() == before:
                return
            for other in self.peers.values():
                if other is not peer:
                    other.send(bytes([UPDATE]) + payload)
            self._publish("u", payload, conn=peer.conn)
            self.editors.add(peer.user_id)
            self._mark_dirty()
        elif kind == JSON_MSG:
            try:
                body = json.loads(payload)
            except ValueError:
                return
            if not isinstance(body, dict) or body.get("type") != "presence":
                return
            field_name = body.get("field")
            client = body.get("client")
            entry = peer.entry(field_name if field_name in self.fields else None,
                               client if isinstance(client, int) and not isinstance(client, bool) else None)
            self.presence[peer.conn] = entry | {"seen": time.monotonic()}
            self._publish("p", json.dumps(entry).encode(), conn=peer.conn)
            self._send_people()

    # -- from other processes ------------------------------------------------------------------
    async def _consume(self) -> None:
        async for message in self._subscriber.iter_events():
            try:
                self._on_channel(message)
            except Exception:  # one bad message must not stop the room
                log.exception("co-edit message failed for review %s", self.review_id)

    def _on_channel(self, message: bytes) -> None:
        if message == RESYNC:  # Redis was away: exchange what was missed, as a new room does
            self._hello()
            return
        head, _, payload = message.partition(b"\n")
        header = json.loads(head)
        kind, origin = header.get("k"), header.get("i")
        if kind == "d":
            self._decided(header.get("by") or "")
            return
        if origin == self.instance:
            return
        if kind == "u":
            self.doc.apply_update(payload)
            for peer in self.peers.values():
                peer.send(bytes([UPDATE]) + payload)
        elif kind == "p":
            entry = json.loads(payload)
            self.presence[entry["conn"]] = entry | {"seen": time.monotonic()}
            self._send_people()
        elif kind == "l":
            if self.presence.pop(header.get("conn"), None) is not None:
                self._send_people()
        elif kind == "h":
            missing = self.doc.get_update(payload)
            if missing != service.EMPTY_UPDATE:
                self._publish("u", missing)
            self._publish_presence()

    def _hello(self) -> None:
        """Rooms elsewhere answer with what this one lacks; they learn who is here."""
        self._publish("h", self.doc.get_state())
        self._publish_presence()

    def _publish_presence(self) -> None:
        for conn in self.peers:
            entry = self.presence.get(conn)
            if entry is not None:
                self._publish("p", json.dumps({k: v for k, v in entry.items() if k != "seen"}).encode(), conn=conn)

    def _publish(self, kind: str, payload: bytes, **header: Any) -> None:
        head = json.dumps({"k": kind, "i": self.instance} | header, separators=(",", ":")).encode()
        self.hub.channels.publish(head + b"\n" + payload, [self.channel])

    # -- presence --------------------------------------------------------------------------------
    def _people(self) -> list[dict[str, Any]]:
        return sorted(({k: v for k, v in e.items() if k != "seen"} for e in self.presence.values()),
                      key=lambda e: (e["name"], e["conn"]))

    def _send_people(self, only: Peer | None = None) -> None:
        message = json_message({"type": "people", "people": self._people()})
        for peer in [only] if only is not None else list(self.peers.values()):
            peer.send(message)

    # -- storage ---------------------------------------------------------------------------------
    def _mark_dirty(self) -> None:
        self.dirty = True
        if self._save_task is None or self._save_task.done():
            self._save_task = asyncio.create_task(self._save_soon())

    async def _save_soon(self) -> None:
        await asyncio.sleep(SAVE_DELAY)
        try:
            await self.save()
        except Exception:
            log.exception("saving the co-edited document of review %s failed", self.review_id)
            self._mark_dirty()

    async def save(self, *, read_only: bool = False) -> None:
        """Merge this room's doc with the stored row (or only read it), then take in what others saved."""
        async with self._save_lock:
            if self.decided:
                return
            write = self.dirty and not read_only
            editors, update = set(self.editors), self.doc.get_update() if write else None
            if write:
                self.dirty = False
                self.editors.clear()
            try:
                async with self.hub.db.transaction() as session:
                    stored, decided = await service.save(session, self.review_id, update, editors)
            except BaseException:
                if write:
                    self.dirty = True
                    self.editors |= editors
                raise
            if stored is not None:
                self._absorb(stored)
            if decided:
                self._decided("")

    def _absorb(self, stored: bytes) -> None:
        """Apply the stored state; forward to this room's sockets whatever it held that we lacked."""
        before_state = self.doc.get_state()
        before = self.doc.get_update()
        self.doc.apply_update(stored)
        if self.doc.get_update() != before:
            missing = self.doc.get_update(before_state)
            for peer in self.peers.values():
                peer.send(bytes([UPDATE]) + missing)

    async def _tick(self) -> None:
        """Every few seconds: re-read the stored document, and drop presence nobody refreshed."""
        while True:
            await asyncio.sleep(RESYNC_EVERY)
            try:
                await self.save(read_only=not self.dirty)
            except Exception:
                log.exception("re-reading the co-edited document of review %s failed", self.review_id)
            now = time.monotonic()
            stale = [conn for conn, e in self.presence.items() if conn not in self.peers
                     and now - e["seen"] > PRESENCE_TTL]
            for conn in stale:
                del self.presence[conn]
            if stale:
                self._send_people()

    def _decided(self, by: str) -> None:
        self.decided = True
        for peer in list(self.peers.values()):
            peer.send(json_message({"type": "decided", "by": by}))
            peer.close(CLOSE_DECIDED)


class Hub:
    """This process's rooms, by review task."""

    def __init__(self, db: Database, channels: ChannelsPlugin, namespace: str):
        self.db = db
        self.channels = channels
        self.namespace = namespace
        self.rooms: dict[int, Room] = {}
        self._locks: dict[int, asyncio.Lock] = {}

    def channel(self, review_id: int) -> str:
        return f"{self.namespace}:coedit:{review_id}"

    async def join(self, task) -> Room:
        lock = self._locks.setdefault(task.id, asyncio.Lock())
        async with lock:
            room = self.rooms.get(task.id)
            if room is None:
                room = Room(self, task.id)
                try:
                    await room.open(task)
                except BaseException:
                    await room.close()
                    raise
                self.rooms[task.id] = room
            room.refs += 1
            return room

    async def leave(self, room: Room) -> None:
        lock = self._locks.setdefault(room.review_id, asyncio.Lock())
        async with lock:
            room.refs -= 1
            if room.refs <= 0:
                self.rooms.pop(room.review_id, None)
                self._locks.pop(room.review_id, None)
                await room.close()


def hub_of(app: Any) -> Hub:
    hub = getattr(app.state, "coedit", None)
    if hub is None:
        publisher = app.state.publisher
        hub = Hub(app.state.db, publisher.channels, publisher.namespace)
        app.state.coedit = hub
    return hub


def announce_decided(app: Any, review_id: int, by: str) -> None:
    """After a decision is committed: every open copy, on every process, is told and closed."""
    hub = hub_of(app)
    head = json.dumps({"k": "d", "i": "", "by": by}, separators=(",", ":")).encode()
    hub.channels.publish(head + b"\n", [hub.channel(review_id)])


@websocket("/ws/reviews/{review_id:int}/doc")
async def doc_socket(socket: WebSocket, review_id: int) -> None:
    """One person's copy of a review task's shared document (protocol: module docstring)."""
    db: Database = socket.app.state.db
    refusal: tuple[int, str] | None = None
    try:
        async with db.transaction() as session:
            task = await service.open_task(session, review_id, socket.user)
    except NotFound as exc:
        refusal = (CLOSE_NOT_FOUND, exc.message)
    except Conflict as exc:
        refusal = (CLOSE_DECIDED, exc.message)
    except DomainError as exc:
        refusal = (CLOSE_FORBIDDEN, exc.message)
    # Accepted, then closed with a code: a browser sees why (4403 refused, 4404 no such review,
    # 4409 decided or not held) and does not retry; nothing about the task is sent.
    await socket.accept()
    if refusal is not None:
        await socket.close(code=refusal[0], reason=refusal[1])
        return
    hub = hub_of(socket.app)
    peer = Peer(conn=secrets.token_hex(6), user_id=socket.user.id, name=socket.user.name,
                leaseholder=task.reviewer_id == socket.user.id)
    room = await hub.join(task)
    room.add(peer)

    async def write() -> None:
        try:
            while True:
                message = await peer.queue.get()
                if message is None:
                    break
                await socket.send_bytes(message)
            await socket.close(code=peer.close_code)
        except Exception:  # the client went away: the reader ends the connection
            peer.closed = True

    writer = asyncio.create_task(write())
    try:
        while not peer.closed:
            event = await socket.receive()
            if event["type"] == "websocket.disconnect":
                break
            data = event.get("bytes")
            if data is None:
                continue
            if len(data) > MAX_MESSAGE:
                peer.close(CLOSE_TOO_BIG)
                break
            room.receive(peer, data)
    except WebSocketDisconnect:
        pass
    finally:
        peer.closed = True
        room.remove(peer)
        if not writer.done():
            with contextlib.suppress(asyncio.QueueFull):
                peer.queue.put_nowait(None)
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(writer, timeout=2)
            writer.cancel()
        await hub.leave(room)
