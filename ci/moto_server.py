"""moto_server, with one fix to what moto writes, so the AWS SDKs read it as they read AWS.

moto 5.2.x (through 5.2.6) writes an MSK cluster's `creationTime` as `datetime.now().isoformat()`: a local time
without a zone (`2026-12-07T10:34:50.697327`). Amazon MSK writes ISO 8601 in UTC with a `Z`
(`2026-12-07T10:34:50.697Z`), and the SDKs refuse a timestamp without one, so every ListClustersV2 answer would fail
to parse. This sets it as MSK does, then runs moto's own server entry point unchanged. Nothing else is altered.
"""

import datetime
import sys

from moto.kafka import models
from moto.server import main

_init = models.FakeKafkaCluster.__init__


def _init_with_utc_creation_time(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    now = datetime.datetime.now(datetime.timezone.utc)
    self.creation_time = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


models.FakeKafkaCluster.__init__ = _init_with_utc_creation_time

if __name__ == "__main__":
    sys.exit(main())
