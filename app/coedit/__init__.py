"""Reviewers editing one review task together, live.

* ``service.py``: who may join (the leaseholder decides; co-editors are the people the stage is
  open to), what the shared document holds (a Yjs doc: a map of structured fields, one text per
  free-text field, seeded deterministically from the answer), merged storage, the answer a
  decision takes from it and the ``review.coedited`` event naming every co-editor.
* ``live.py``: the socket ``/ws/reviews/{id}/doc``, its binary protocol, per-process rooms fanned
  out over Channels (memory or Redis), debounced saves and presence.
* ``pages.py``: the "Being reviewed now" list on the review queue.
* ``static/coedit.js`` (bundled with Yjs into ``static/vendor/coedit.js``): the browser side.
"""
