"""Import lancedb without paying for its namespace REST client until something uses it.

`import lancedb` imports `lance_namespace`, whose package init imports every request/response
model of the Lance Namespace REST client (a few hundred pydantic classes): about half of
lancedb's import time, i.e. of every cold `mmem ask` / `mmem events`, for an API a local or
object-store memory never calls. lancedb only names six of those objects at import (as
annotations, and as constructors inside namespace methods), so while lancedb imports, the
`lance_namespace` package is stood in for by a module that hands out deferred references; each
resolves to the real object, importing the real package, the first time it is called or
inspected. Everything else (`lance_namespace.errors`, later imports of `lance_namespace`) is the
real thing. The same goes for the client package and its `models` package, whose inits import
every model: lancedb.namespace imports a handful of model modules by their full path, and only
those load.

On Python < 3.12 lancedb also decorates its ~100 connection/table methods with the `overrides`
package, which checks each signature with typing.get_type_hints when the class is created (about
a third of the remaining import); on 3.12+ lancedb uses `typing.override`, a marker that checks
nothing. While lancedb imports, `overrides` is stood in for by exactly that 3.12 behaviour.

pyarrow.dataset (which lancedb imports) builds a scalar when it loads, and pyarrow answers "is
this a pandas object?" by importing pandas: about a third of lancedb's import, for a library
mmem never hands a DataFrame. Before lancedb imports, pyarrow is asked that question once with
pandas hidden from this thread, so it records "no pandas yet"; pyarrow imports pandas for real
the first time something calls a pandas API (`to_pandas`, `from_pandas`, ...), as it would
anyway. Until then a pandas object given to `pa.array` would be read as a plain sequence: mmem
gives it lists and numpy arrays only.
`lancedb.functions` (the models of LanceDB Enterprise's function service: about a fifth of
`lancedb.db`'s import) is stood in for the same way while lancedb imports: lancedb only names its
classes (re-exports, annotations, calls inside methods), and each resolves to the real one, importing
the real module, the first time it is used. So is the `lancedb.embeddings` package, whose init
imports a pydantic model per embedding provider (OpenAI, Cohere, Bedrock, ...): its `base` and
`registry` modules load for real, and the first use of a name from the package (a table write asks
its registry) imports the whole package, providers registered, as before. A reader never does.
MMEM_PLAIN_LANCEDB=1 imports lancedb the ordinary way (tests compare both).

A listing that only scans tables (`mmem events`) needs none of the Python package: `native_core`
loads lancedb's compiled core (`lancedb._lancedb`) by itself, which `mmem.store.scans` drives
(its import is a fifth of the package's, and it pulls no pydantic). It is registered under its
own name, so a later `import lancedb` in the same process uses that very module.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import threading
from types import ModuleType
from typing import Any

from mmem import importutil

# the packages whose __init__ imports the whole REST client; their submodules load for real
_DEFERRED = ("lance_namespace", "lance_namespace_urllib3_client", "lance_namespace_urllib3_client.models",
             "lancedb.embeddings")
# lancedb modules whose import is mostly models for services a local memory never calls
_DEFERRED_MODULES = ("lancedb.functions",)
_LOCK = threading.Lock()  # the stand-ins live in sys.modules: one importer at a time


class _Deferred:
    """A name lancedb imported from lance_namespace, resolved on first real use."""

    __slots__ = ("_module", "_name", "_target")

    def __init__(self, module: str, name: str) -> None:
        self._module, self._name = module, name
        self._target: Any = None

    def _resolve(self) -> Any:
        if isinstance(sys.modules.get(self._module), _StandIn):
            raise AttributeError(f"{self._module}.{self._name} used while lancedb imports")
        if self._target is None:
            self._target = getattr(importlib.import_module(self._module), self._name)
        return self._target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._resolve()(*args, **kwargs)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):  # typing and decorators probe dunders at class creation: opaque
            raise AttributeError(attr)
        return getattr(self._resolve(), attr)

    def __instancecheck__(self, obj: Any) -> bool:
        return isinstance(obj, self._resolve())

    def __mro_entries__(self, bases: tuple) -> tuple:
        return (self._resolve(),)

    def __getitem__(self, item: Any) -> Any:
        return self._resolve()[item]

    def __repr__(self) -> str:
        return f"<deferred {self._module}.{self._name}>"


class _StandIn(ModuleType):
    """One of those packages while lancedb imports: its submodules are real (the package path
    is), its own attributes deferred."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        deferred = self.__dict__[name] = _Deferred(self.__name__, name)  # one per name: lancedb compares them
        return deferred


def _override(method: Any) -> Any:
    """typing.override (3.12): mark the method, check nothing."""
    try:
        method.__override__ = True
    except (AttributeError, TypeError):
        pass
    return method


class EnforceOverrides:
    """lancedb's own stand-in for overrides.EnforceOverrides on Python 3.12+: a plain base."""


def _overrides_stand_in() -> ModuleType:
    module = ModuleType("overrides")
    module.override = _override  # type: ignore[attr-defined]
    module.EnforceOverrides = EnforceOverrides  # type: ignore[attr-defined]
    return module


class _NoPandasHere:
    """A meta-path finder: `import pandas` fails, in the thread that installed it only."""

    def __init__(self) -> None:
        self.thread = threading.get_ident()

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "pandas" and threading.get_ident() == self.thread:
            raise ModuleNotFoundError("pandas hidden while pyarrow loads", name=name)
        return None


def _pyarrow_without_pandas() -> None:
    """Let pyarrow settle its optional pandas support as 'not imported' (see the docstring)."""
    if "pandas" in sys.modules:
        return
    import pyarrow

    finder = _NoPandasHere()
    sys.meta_path.insert(0, finder)
    try:
        pyarrow.scalar(True)  # pyarrow tries pandas once, here, and remembers the answer
    finally:
        sys.meta_path.remove(finder)


def native_core() -> ModuleType:
    """lancedb's compiled core, without running the `lancedb` package's init when that is not
    yet imported (the extension initialises once per process: every later import reuses it)."""
    with _LOCK:
        core = sys.modules.get("lancedb._lancedb")
        if core is not None:
            return core
        if "lancedb" in sys.modules:
            return importlib.import_module("lancedb._lancedb")
        spec = importlib.util.find_spec("lancedb")  # finds the package without running its init
        folders = list(spec.submodule_search_locations or []) if spec is not None else []
        found = [os.path.join(d, f) for d in folders for f in sorted(os.listdir(d))
                 if f.startswith("_lancedb.") and f.endswith((".so", ".pyd"))]
        if not found:  # not a layout we know: the ordinary import finds it
            return importlib.import_module("lancedb._lancedb")
        loader = importlib.machinery.ExtensionFileLoader("lancedb._lancedb", found[0])
        core = importlib.util.module_from_spec(importlib.util.spec_from_loader("lancedb._lancedb", loader))
        sys.modules["lancedb._lancedb"] = core
        try:
            loader.exec_module(core)
        except BaseException:
            del sys.modules["lancedb._lancedb"]
            raise
        return core


def _plain() -> ModuleType:
    import lancedb

    return _with_core(lancedb)


def import_lancedb() -> ModuleType:
    """The lancedb module, imported with the namespace client deferred when it is not yet loaded."""
    with _LOCK:
        return _import()


def import_soon() -> None:
    """Import lancedb in a daemon thread (nothing when it is loaded): a writer that first loads
    its models, whose loaders mostly run without the GIL, has the store's import done by the
    time it opens the memory (`import_lancedb` waits for an import under way)."""
    importutil.import_soon("lancedb", load=_import_quietly, name="mmem-import-lancedb")


def _import_quietly() -> None:
    try:
        import_lancedb()
    except Exception:  # noqa: BLE001  (the import on the caller's thread says what failed)
        return


def connect(uri: str, storage_options: dict[str, str] | None = None) -> Any:
    """lancedb's connection to the database at `uri` (`storage_options`: an object store's)."""
    lancedb = import_lancedb()
    if storage_options is None:
        return lancedb.connect(uri)
    return lancedb.connect(uri, storage_options=storage_options)


def _import() -> ModuleType:
    shimmed = ("lancedb", *_DEFERRED, *_DEFERRED_MODULES, "overrides")
    if any(p in sys.modules for p in shimmed) or os.environ.get("MMEM_PLAIN_LANCEDB"):
        return _plain()
    stand_ins: dict[str, ModuleType] = {}
    for name in _DEFERRED:
        parent, _, leaf = name.rpartition(".")
        if parent in stand_ins:
            path = [os.path.join(p, leaf) for p in stand_ins[parent].__path__]
        elif parent:
            spec = importlib.util.find_spec(parent)
            if spec is None or not spec.submodule_search_locations:
                return _plain()
            path = [os.path.join(p, leaf) for p in spec.submodule_search_locations]
        else:
            spec = importlib.util.find_spec(name)
            if spec is None or not spec.submodule_search_locations:
                return _plain()
            path = list(spec.submodule_search_locations)
        module = stand_ins[name] = _StandIn(name)
        module.__path__, module.__package__ = path, name
    for name in _DEFERRED_MODULES:
        module = stand_ins[name] = _StandIn(name)
        module.__package__ = name.rpartition(".")[0]
    if sys.version_info < (3, 12):
        stand_ins["overrides"] = _overrides_stand_in()
    _pyarrow_without_pandas()
    sys.modules.update(stand_ins)
    try:
        import lancedb  # noqa: F401  (its native module loads once: a failure here is final)
    finally:
        for name, module in stand_ins.items():  # from now on they import as the real packages
            if sys.modules.get(name) is module:
                del sys.modules[name]
    return _with_core(sys.modules["lancedb"])


def _with_core(lancedb: ModuleType) -> ModuleType:
    """The package, with its `_lancedb` attribute set when `native_core` loaded it first (an
    import that finds a submodule already loaded does not set it on the package)."""
    if not hasattr(lancedb, "_lancedb") and "lancedb._lancedb" in sys.modules:
        lancedb._lancedb = sys.modules["lancedb._lancedb"]  # type: ignore[attr-defined]
    return lancedb
