"""Job bookmarks, as Glue's ``--job-bookmark-option`` sets them.

State advances only when a run commits (:class:`~sparkgrove.store.bookmark_store.BookmarkStore`
keeps it); ``job-bookmark-pause`` reads what is new since the last commit without advancing,
``job-bookmark-disable`` reads everything.
"""

from __future__ import annotations

ENABLE, PAUSE, DISABLE = "job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"
OPTIONS = (ENABLE, PAUSE, DISABLE)
