"""The walk of X through ``BaseAutoencoder.fit``: which of skae's files a fit passes through.

A fit of ``AutoencoderTransformer`` (in memory, one epoch) is traced with
``sys.setprofile``: every call into a function of skae's own is recorded by
its file, in order. Consecutive calls in one file are one *stay*; a stay in
a file visited before (not the one just left) is a *return*; a call from a
lower floor into a higher one (the engine calling the estimator, say) is a
*climb*. The floors, top to bottom: the estimators, the fit's steps
(``skae/_*.py``), the engine's front (``_keras/engine.py``), the shared loop
and the backend modules, and the building blocks (networks, layers,
initial values, the fit description).

Only calls that are handed the data are recorded: an argument holding
between half of X's rows and all of them (X itself, its standardised copy,
the training arrays, or a tuple of them; not a longer array such as the
random numbers of the initial weights). Calls made once per batch or per epoch are
counted once: a function already entered from the same caller is not
recorded again.

The fit is walked after a first fit on the same data, so that on every
backend the compiled programs exist (JAX compiles per shape) and the walk
is the way of the data, not of tracing.

Run: ``python tools/walk_fit.py`` (add ``KERAS_BACKEND=jax`` for JAX;
``--calls`` lists the calls).
"""

import os
import sys
import warnings

FLOORS = [
    ("estimator", ("_base.py", "_dense.py", "_conv.py", "_vae.py", "_sequence.py", "_impute.py",
                   "_outlier.py")),
    ("steps", ("_fitting.py", "_validation.py", "_streaming.py", "_scaling.py", "_layout.py",
               "_whitening.py", "_persistence.py", "_ordered.py", "_augmentation.py")),
    ("engine", ("engine.py",)),
    ("loop", ("engine_loop.py", "engine_jax.py", "engine_tensorflow.py", "engine_model_fit.py",
              "engine_keras.py", "session.py", "fit_data.py")),
    ("blocks", ("builders.py", "layers.py", "models.py", "initial_values.py",
                "fit_description.py", "__init__.py", "elbo.py", "batches.py")),
]  # fmt: skip


def floor(path):
    name = os.path.basename(path)
    for level, (_, names) in enumerate(FLOORS):
        if name in names:
            return level
    return len(FLOORS)


def _carries_rows(value, n_rows, depth=0):
    shape = getattr(value, "shape", None)
    if shape is not None and not callable(shape):
        try:
            return len(shape) > 0 and n_rows // 2 <= int(shape[0]) <= n_rows
        except TypeError:
            return False
    if isinstance(value, (tuple, list)) and depth < 2:
        return any(_carries_rows(item, n_rows, depth + 1) for item in value[:8])
    if hasattr(value, "__dataclass_fields__") and depth < 2:
        return any(_carries_rows(v, n_rows, depth + 1) for v in vars(value).values())
    return False


def walk():
    from sklearn.datasets import load_digits

    import skae

    root = os.path.dirname(os.path.abspath(skae.__file__)) + os.sep
    X = load_digits().data / 16.0
    ae = skae.AutoencoderTransformer(4, epochs=1, random_state=0)
    calls, seen = [], set()

    def profile(frame, event, arg):
        if event != "call":
            return
        path = frame.f_code.co_filename
        if not path.startswith(root):
            return
        code = frame.f_code
        arguments = code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]
        if not any(_carries_rows(frame.f_locals.get(a), len(X)) for a in arguments):
            return
        caller = frame.f_back
        while caller is not None and not caller.f_code.co_filename.startswith(root):
            caller = caller.f_back
        key = (frame.f_code, None if caller is None else caller.f_code)
        if key in seen:
            return
        seen.add(key)
        caller_path = None if caller is None else caller.f_code.co_filename
        calls.append((path[len(root) :], caller_path, code.co_name))

    ae.fit(X)  # compile and import outside the walk: the walked fit finds its programs built
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sys.setprofile(profile)
        try:
            ae.fit(X)
        finally:
            sys.setprofile(None)
    stays, visited, returns, climbs = [], set(), 0, 0
    if "--calls" in sys.argv:
        for path, _, name in calls:
            print(f"  {path}: {name}")
    for path, caller, _ in calls:
        if caller is not None and floor(caller) > floor(path):
            climbs += 1
        if stays and stays[-1] == path:
            continue
        if path in visited:
            returns += 1
        visited.add(path)
        stays.append(path)
    return stays, visited, returns, climbs


if __name__ == "__main__":
    stays, visited, returns, climbs = walk()
    print(" -> ".join(stays))
    print(f"{len(stays)} stays in {len(visited)} files, {returns} returns, {climbs} climbs")
