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

# Named inputs (a model's forward arguments): token ids and masks of 3 samples x 5 tokens.
ids = np.array([[101, 7, 8, 102, 0], [101, 9, 102, 0, 0], [101, 5, 6, 7, 102]], dtype="<i8")
mask = (ids != 0).astype("<i8")
np.savez(os.path.join(here, "tokens.npz"), input_ids=ids, attention_mask=mask, y=np.array([1, 0, 1]))
np.savez(os.path.join(here, "tokens-i4.npz"), input_ids=ids.astype("<i4"), attention_mask=mask.astype("u1"))
np.savez(os.path.join(here, "tokens-float.npz"), input_ids=ids, pixel_values=np.ones((3, 2, 2), "<f4"))
nan = np.ones((3, 4), "<f4")
nan[1, 2] = np.nan
np.savez(os.path.join(here, "tokens-nan.npz"), input_ids=ids, features=nan)
np.savez(os.path.join(here, "tokens-mismatch.npz"), input_ids=ids, attention_mask=mask[:2])
np.savez(os.path.join(here, "tokens-badmask.npz"), input_ids=ids, attention_mask=mask * 2)
np.savez(os.path.join(here, "tokens-empty.npz"), input_ids=np.zeros((0, 5), "<i8"))
