"""An object unpickled in a new process, where its model was never used, is changed and saved."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

from tests.models import Song

CHILD = r"""
import pickle, sys
from IndexedRedis import setDefaultRedisConnectionParams
setDefaultRedisConnectionParams({"url": sys.argv[1]})
obj = pickle.loads(bytes.fromhex(sys.stdin.read()))
obj.title = "changed"
obj.year = 1999
print(sorted(obj.getUpdatedFields()))
obj.save()
"""


def test_unpickled_object_changes_are_saved(real_db, redis_server_url):
    s = Song(artist="A", title="orig", year=1)
    s.save()
    data = pickle.dumps(Song.objects.get(s._id)).hex()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, redis_server_url], input=data, capture_output=True, text=True, cwd=root, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "['title', 'year']"
    fresh = Song.objects.get(s._id)
    assert (fresh.title, fresh.year) == ("changed", 1999)
    assert Song.objects.filter(year=1999).count() == 1 and Song.objects.filter(year=1).count() == 0
