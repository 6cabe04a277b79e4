"""Regenerates the NumPy golden files of NpyReaderTest (run with /usr/bin/python3, numpy >= 1.20).

Every array holds the same values, so the Java test checks each file against one expectation:
x = arange(24).reshape(4, 2, 3) * 0.5 - 3 (as the dtype allows), y = [3, 0, 2, 1].
"""
import os

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
base = np.arange(24).reshape(4, 2, 3)
x = base * 0.5 - 3
y = np.array([3, 0, 2, 1])

np.save(os.path.join(here, "x-f4.npy"), x.astype("<f4"))
np.save(os.path.join(here, "x-f8.npy"), x.astype("<f8"))
np.save(os.path.join(here, "x-i4.npy"), base.astype("<i4"))
np.save(os.path.join(here, "x-i8.npy"), base.astype("<i8"))
np.save(os.path.join(here, "x-u1.npy"), base.astype("u1"))
np.save(os.path.join(here, "x-flat-f4.npy"), x.reshape(4, 6).astype("<f4"))
np.save(os.path.join(here, "x-big-endian.npy"), x.astype(">f4"))
np.save(os.path.join(here, "x-fortran.npy"), np.asfortranarray(x.reshape(4, 6).astype("<f4")))
np.save(os.path.join(here, "x-f2.npy"), x.astype("<f2"))
np.savez(os.path.join(here, "xy.npz"), x=x.astype("<f4"), y=y.astype("<i8"))
np.savez_compressed(os.path.join(here, "xy-compressed.npz"), x=x.astype("<f8"), y=y.astype("<i4"))
np.savez(os.path.join(here, "x-only.npz"), x=x.astype("<f4"))
np.savez(os.path.join(here, "features-labels.npz"), features=x.astype("<f4"), labels=y)
np.savez(os.path.join(here, "y-mismatch.npz"), x=x.astype("<f4"), y=np.array([1, 2]))
np.savez(os.path.join(here, "y-fractional.npz"), x=x.astype("<f4"), y=np.array([0.5, 1, 2, 3]))
np.savez(os.path.join(here, "y-too-large.npz"), x=x.astype("<f4"), y=np.array([3, 0, 1e20, 1]))
np.savez(
    os.path.join(here, "y-int64-too-large.npz"),
    x=x.astype("<f4"),
    y=np.array([3, 2**31, 2, 1], dtype="<i8"),
)
np.savez(
    os.path.join(here, "y-largest.npz"), x=x.astype("<f4"), y=np.array([3, 2**24 - 1, 2, 1], dtype="<i8")
)
np.save(os.path.join(here, "empty.npy"), np.zeros((0, 6), dtype="<f4"))
with open(os.path.join(here, "x-f4.npy"), "rb") as f:
    whole = f.read()
with open(os.path.join(here, "truncated.npy"), "wb") as f:
    f.write(whole[:-10])
