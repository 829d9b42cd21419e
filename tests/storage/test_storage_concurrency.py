"""LocalStore under concurrent writers and readers: threads and processes.

Invariants: every put returns the content's CID; a reader never sees a partial or corrupt
blob (it sees either "not found" or the whole blob); afterwards each blob is stored exactly
once and no temporary file is left behind.
"""

from __future__ import annotations

import multiprocessing
import queue
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from storage_workers import blob, reader, writer

from fedledger.core.errors import IntegrityError
from fedledger.storage import BlobNotFoundError, LocalStore, cid_for


def _stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_concurrent_processes_write_and_read(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    shared = [1, 2]
    own = [10, 11, 12, 13]
    n_readers = 2
    barrier = ctx.Barrier(len(own) + n_readers)
    out = ctx.Queue()
    procs = [ctx.Process(target=writer, args=(str(tmp_path), shared, s, 2, barrier, out)) for s in own]
    procs += [ctx.Process(target=reader, args=(str(tmp_path), shared + own, 1_000_000, barrier, out)) for _ in range(n_readers)]
    for p in procs:
        p.start()
    results = [out.get(timeout=300) for _ in procs]
    for p in procs:
        p.join()
        assert p.exitcode == 0

    expected = {s: str(cid_for(blob(s))) for s in shared + own}
    writers = [r for r in results if r[0] == "writer"]
    readers = [r for r in results if r[0] == "reader"]
    assert len(writers) == len(own) and len(readers) == n_readers
    for _, own_seed, cids in writers:
        assert cids == [expected[s] for s in [*shared, own_seed]] * 2
    assert all(partial == 0 for _, _, partial in readers), readers
    assert all(seen == len(expected) for _, seen, _ in readers), readers  # they overlapped the writes

    store = LocalStore(tmp_path)
    assert _stored_files(tmp_path) == sorted(store.path_of(cid_for(blob(s))) for s in expected)
    for s, cid in expected.items():
        assert store.get(cid) == blob(s)


def test_concurrent_threads_same_and_different_blobs(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    seeds = [0, 0, 0, 0, 1, 2, 3, 4]  # four threads race on blob 0
    blobs = {s: blob(s) for s in set(seeds)}
    wanted = [cid_for(blobs[s]) for s in seeds]
    partial: queue.Queue[str] = queue.Queue()

    def read_loop() -> int:
        whole = 0
        for i in range(200):
            try:
                store.get(wanted[i % len(wanted)])
                whole += 1
            except BlobNotFoundError:
                pass
            except IntegrityError as exc:
                partial.put(str(exc))
        return whole

    with ThreadPoolExecutor(max_workers=10) as pool:
        readers = [pool.submit(read_loop) for _ in range(2)]
        cids = list(pool.map(lambda s: store.put(blobs[s]), seeds))
        for r in readers:
            r.result()

    assert partial.empty(), partial.get()
    assert cids == wanted
    assert len(_stored_files(tmp_path)) == 5
    for s, data in blobs.items():
        assert store.get(cid_for(data)) == data
