"""The footer: the keys of the screen, as many as fit, most important first, never one cut in half.

`?` (all keys) comes first, then the screen's own keys in the order the screen ranks them (`FOOTER_ORDER`, then its
BINDINGS), then the keys every screen has. Keys that do not fit are left out whole; `?` lists them all. Narrow
terminals get the compact style (one space less around each key)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

#: Below this many columns the footer is compact.
COMPACT_BELOW = 100
#: The keys every screen has, after the screen's own; Quit last.
LAST = ("filter", "refresh", "quit")


def key_width(key_display: str, description: str, *, compact: bool) -> int:
    """The cells one key takes in the footer (FooterKey's padding, or the compact style's margin)."""
    if compact:
        return len(key_display) + 1 + len(description) + 1
    return len(key_display) + 2 + len(description) + 1


class KeyFooter(Footer):
    """Textual's footer, laid out to fit."""

    def __init__(self) -> None:
        super().__init__()
        self._laid_out_for = 0
        self._drawn: tuple[object, ...] | None = None
        #: The actions of the keys shown, in order (for tests).
        self.shown: list[str] = []
        # Textual's footer stays empty until the screen first says its bindings changed, a frame later; the
        # screen's keys are known when it composes, so they are in its first frame.
        self.set_reactive(Footer._bindings_ready, True)

    def _ranked(self) -> list[tuple[Binding, bool, str]]:
        screen = self.screen
        bindings = [(b, enabled, tip) for (_, b, enabled, tip) in screen.active_bindings.values() if b.show]
        unique: dict[str, tuple[Binding, bool, str]] = {}
        for binding, enabled, tooltip in bindings:
            unique.setdefault(binding.action, (binding, enabled, tooltip))
        first = ("help", *getattr(screen, "FOOTER_ORDER", ()))

        def rank(action: str) -> tuple[int, int]:
            if action in first:
                return (0, first.index(action))
            if action in LAST:
                return (2, LAST.index(action))
            return (1, 0)

        return sorted(unique.values(), key=lambda item: rank(item[0].action))

    def _layout(self) -> tuple[bool, list[tuple[Binding, bool, str]], tuple[Binding, bool] | None]:
        """What the footer would show at its width: compact or not, the keys that fit, the palette's key."""
        width = self.size.width or self.app.size.width
        compact = width < COMPACT_BELOW
        room = width
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = self.screen.active_bindings.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _, binding, enabled, _ = found
                palette = (binding, enabled)
                room -= key_width(self.app.get_key_display(binding), binding.description, compact=compact) + 2
        keys = []
        for binding, enabled, tooltip in self._ranked():
            needed = key_width(self.app.get_key_display(binding), binding.description, compact=compact)
            if needed > room:
                break  # the keys after it matter less: they go too, even if one would fit
            room -= needed
            keys.append((binding, enabled, tooltip))
        return compact, keys, palette

    def _signature(
        self, layout: tuple[bool, list[tuple[Binding, bool, str]], tuple[Binding, bool] | None]
    ) -> tuple[object, ...]:
        compact, keys, palette = layout
        shown = tuple((b.key, b.action, b.description, enabled, tip) for b, enabled, tip in keys)
        return (self.size.width or self.app.size.width, compact, shown, palette and (palette[0].key, palette[1]))

    async def recompose(self) -> None:
        """Textual recomposes the footer on every change of the screen's bindings (focus moves, a reactive with
        `bindings=True`), several times as a screen opens; each new key costs a style pass. Only a footer that
        would look different is made anew."""
        if not self.is_attached or self._pruning:
            return
        if self._bindings_ready and self._signature(self._layout()) == self._drawn:
            return
        await super().recompose()

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        layout = self._layout()
        self._drawn = self._signature(layout)
        compact, keys, palette = layout
        self._laid_out_for = self.size.width or self.app.size.width
        self.set_reactive(Footer.compact, compact)
        self.set_class(compact, "-compact")
        self.shown = [binding.action for binding, _, _ in keys]
        style = "-compact" if compact else ""
        for binding, enabled, tooltip in keys:
            key = FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                disabled=not enabled,
                tooltip=tooltip,
                classes=style,
            )
            key.set_reactive(FooterKey.compact, compact)  # set as it is made: no watcher, no second style pass
            yield key
        if palette is not None:
            binding, enabled = palette
            key = FooterKey(
                binding.key,
                self.app.get_key_display(binding),
                binding.description,
                binding.action,
                classes="-command-palette -compact",
                disabled=not enabled,
                tooltip=binding.tooltip or binding.description,
            )
            key.set_reactive(FooterKey.compact, True)  # as Textual's footer draws it, whatever the width
            yield key

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self._laid_out_for:
            self.call_after_refresh(self.recompose)
