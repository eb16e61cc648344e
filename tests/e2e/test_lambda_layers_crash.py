"""A crash during PublishLayerVersion leaves the whole version or none of it (issue 4).

The server is killed with SIGKILL while publishes of a large layer are in flight, at a
different moment each round. After each restart on the same data directory: every listed
version downloads exactly its bytes, version numbers have no duplicates and keep counting up,
and the blob directory holds exactly the blobs the listed versions use (nothing orphaned by
the crash).
"""

import hashlib
import os
import signal
import threading
import time
import zipfile

from lambda_helpers import (assert_downloads, blob_files, code_sha256, lambda_client, make_zip,
                            unique)

ROUNDS = 4


def test_kill_during_publish_keeps_versions_whole(start_lamina, tmp_path):
    data_dir = str(tmp_path / "data")
    name = unique("crash")
    published = {}  # CodeSha256 -> bytes, of every zip ever sent
    for round_index in range(ROUNDS):
        server = start_lamina(data_dir=data_dir)
        client = lambda_client(server, read_timeout=60)
        archives = [make_zip({"python/blob.bin": os.urandom(6 * 1024 * 1024)},
                             compression=zipfile.ZIP_STORED) for _ in range(3)]
        for data in archives:
            published[code_sha256(data)] = data

        def send_all():
            for data in archives:
                try:
                    client.publish_layer_version(LayerName=name, Content={"ZipFile": data})
                except Exception:  # the server dies under it: expected
                    return

        sender = threading.Thread(target=send_all)
        sender.start()
        # A different moment of the publishes each round, from mid-upload to mid-store.
        time.sleep(0.05 + 0.07 * round_index)
        server.stop(signal.SIGKILL)
        sender.join(timeout=60)
        assert not sender.is_alive()

        server = start_lamina(data_dir=data_dir)
        client = lambda_client(server, read_timeout=60)
        versions = client.list_layer_versions(LayerName=name)["LayerVersions"]
        numbers = [v["Version"] for v in versions]
        print(f"round {round_index}: versions {numbers}, blobs {len(blob_files(data_dir))}")
        assert numbers == sorted(set(numbers), reverse=True)
        used = set()
        for version in versions:
            full = client.get_layer_version(LayerName=name, VersionNumber=version["Version"])
            data = published[full["Content"]["CodeSha256"]]
            assert full["Content"]["CodeSize"] == len(data)
            assert_downloads(full["Content"]["Location"], data)
            used.add(hashlib.sha256(data).hexdigest())
        # The crash left no blob without a version, and no version without its blob.
        assert set(blob_files(data_dir)) == used
        # Numbering goes on after the highest number ever handed out.
        reply = client.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip()})
        assert reply["Version"] > max(numbers, default=0)
        client.delete_layer_version(LayerName=name, VersionNumber=reply["Version"])
        server.stop()

