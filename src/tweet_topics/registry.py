"""Steps chosen by name from params.yaml (reduce.method, featurize.backend): the built-in ones, ones a program
registers (`register`), and ones another installed package declares as an entry point in the registry's group, so a
new method is one module and one registry line, and the package itself does not change."""

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Generic, TypeVar

from tweet_topics.errors import UserError
from tweet_topics.paths import PARAMS

T = TypeVar("T")


class Registry(Generic[T]):
    def __init__(self, key: str, group: str, builtins: Callable[[], dict[str, T]]) -> None:
        self.key = key  # the params key that names an entry, e.g. reduce.method
        self.group = group  # the entry-point group other packages declare their entries in
        self._builtins = builtins  # imported on first use: a stage loads only the steps it runs
        self._entries: dict[str, T] | None = None

    def register(self, name: str, entry: T) -> None:
        self._loaded()[name] = entry

    def unregister(self, name: str) -> None:
        self._loaded().pop(name, None)

    def names(self) -> list[str]:
        return sorted({*self._loaded(), *(point.name for point in entry_points(group=self.group))})

    def get(self, name: str) -> T:
        """The entry called `name`; an unknown name is a UserError that lists the known ones."""
        entries = self._loaded()
        if name not in entries:
            found = entry_points(group=self.group, name=name)
            if not found:
                known = ", ".join(repr(known) for known in self.names())
                raise UserError(f"{PARAMS}: '{self.key}' is {name!r}; it must be one of {known} (or a method"
                                f" registered in the entry-point group '{self.group}')")
            entries[name] = next(iter(found)).load()
        return entries[name]

    def _loaded(self) -> dict[str, T]:
        if self._entries is None:
            self._entries = dict(self._builtins())
        return self._entries
