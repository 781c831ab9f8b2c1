"""Waves: ops schedule, open, close and decree them (:mod:`.ops`); applicants join and
answer surveys (:mod:`.participants`). Their bodies and answers sit beside them
(:mod:`.requests`, :mod:`.responses`). The programme service comes by dependency injection
(``programme``, provided by the app).
"""

from __future__ import annotations

from prakerja.api.routes.waves.ops import WaveRoutes
from prakerja.api.routes.waves.participants import ParticipantRoutes
from prakerja.api.routes.waves.responses import WaveOut, wave_out

__all__ = ["ParticipantRoutes", "WaveOut", "WaveRoutes", "wave_out"]
