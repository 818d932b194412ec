"""A live stream that loses its signal for longer than two max_durations (a camera reconnecting
on a busy machine): found while fixing the MJPEG reconnect test. Today the forced cut after the
gap landed on the open event's first frame and the segmenter emitted an empty event, which
Consolidator.close rejects (weighted_kmeans: "nothing to compress"), ending the live session
with an error. The forced cut now lands on the first frame after the event's first."""

from __future__ import annotations

import dataclasses

import numpy as np

from mmem.config import SegmentConfig
from mmem.segment.segmenter import Segmenter
from mmem.types import Observation


def test_a_gap_longer_than_two_max_durations_makes_no_empty_event():
    cfg = dataclasses.replace(SegmentConfig(), max_duration=4.0, min_duration=1.0)
    times = [0.01, 1.01, 2.01, 12.98, 13.02, 14.02, 15.02, 16.02, 17.02, 18.02]  # 11 s without frames
    rng = np.random.default_rng(0)
    centre = rng.normal(size=32)
    seg = Segmenter(cfg)
    events = []
    for i, t in enumerate(times):
        v = centre + 0.05 * rng.normal(size=32)
        events += seg.push(Observation(i, t, {"clip": (v / np.linalg.norm(v)).astype(np.float32)}))
    events += seg.flush(26.8)
    assert all(e.first < e.stop and e.start < e.end for e in events), events
    assert [e.first for e in events[1:]] == [e.stop for e in events[:-1]]
    assert events[0].first == 0 and events[-1].stop == len(times)
